"""s390x CPU models (issue 8, item 3): checked against the reference.

Every expectation comes from tests/reference/qemu-10.0-s390x-cpu-models.json
(and the s390-ccw-virtio machines of qemu-10.0-compat.json), never from the
code under test: the outputs read are the committed generated/json/s390x.json
and generated/libvirt/domcaps-s390x.xml, plus the C statements that
mtc.cpumodels hands the C backend.  The host model the outputs stand for
is the cpu-models block's 'host-model', gen17a.
"""

import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from conftest import REFERENCE, ROOT, at_10_0, json_at_10_0, run_mtc

CPU_REF = json.loads((REFERENCE / "qemu-10.0-s390x-cpu-models.json").read_text())
DOMCAPS = ROOT / "generated" / "libvirt" / "domcaps-s390x.xml"
DOMCAPS_SCHEMA = Path("/usr/share/libvirt/schemas/domaincaps.rng")
SCHEMA = ROOT / "compiler" / "backends" / "json" / "machines.schema.json"
HOST = "gen17a"
DEFAULT_QEMU = {"type": "0x8561", "gen": 15, "ga": 1, "cpu_definition": "gen15a"}


@functools.lru_cache(maxsize=None)
def s390x_json() -> dict:
    """s390x's JSON for machines/ as of QEMU 10.0, which the reference
    describes (conftest.outputs_at)."""
    return json_at_10_0("s390x")


def cpu_models() -> dict:
    return s390x_json()["cpu-models"]


def machines() -> dict:
    return {m["name"]: m for m in s390x_json()["machines"]}


def ref_machines_newest_first(reference) -> list[dict]:
    family = reference["families"]["s390-ccw-virtio"]["machines"]
    return sorted(family, key=lambda m: tuple(map(int, m["version"].split("."))), reverse=True)


def level_key(text: str) -> tuple[int, int]:
    """GEN16_GA1 / gen16_ga1 / gen16.1 -> (16, 1)"""
    match = re.fullmatch(r"gen(\d+)(?:_ga|\.)(\d+)", text.lower())
    return int(match.group(1)), int(match.group(2))


def groups() -> dict[str, list[str]]:
    return {g["name"]: g["features"] for g in cpu_models()["groups"]}


def expand(names) -> set[str]:
    members = groups()
    out = set()
    for name in names:
        out |= set(members.get(name, [name]))
    return out


def feature_set(definition: str, kind: str) -> list[str]:
    models = cpu_models()
    level = next(d["feature-sets"] for d in models["definitions"] if d["name"] == definition)
    return models["feature-sets"][level][kind]


# ---- the expected per-machine state, walked from the reference ---------------


def expected_machine_state(reference) -> dict[str, dict]:
    """machine -> {"featoff": [...], "qemu": {...}}, from per_machine_cpu_changes:
    machines it does not list make no change of their own and inherit the next
    newer one's state (the reference's note), the newest start from the
    registration-time 'qemu' model."""
    changes = CPU_REF["per_machine_cpu_changes"]
    state = {"featoff": [], "qemu": dict(DEFAULT_QEMU, feature_list="QEMU_MAX")}
    out = {}
    for machine in ref_machines_newest_first(reference):
        entry = changes.get(machine["name"])
        if entry is not None:
            state = {
                "featoff": entry["effective_featoff_cumulative"],
                "qemu": entry["qemu_model"] or entry["qemu_model_inherited"],
            }
        out[machine["name"]] = state
    return out


def featoff_key(item: dict) -> tuple:
    """Reference featoff entry or JSON featoff entry -> comparable tuple."""
    if "function" in item:
        kind = "group" if "group_featoff" in item["function"] else "feature"
        names = [name.split(" (")[0] for name in item["features"]]
        return (item["gen"], item["ga"], kind, tuple(names))
    return (item["gen"], item["ga"], item["kind"], tuple(item["names"]))


def test_every_s390x_machine_has_cpu_model_facts(reference):
    names = [m["name"] for m in ref_machines_newest_first(reference)]
    have = machines()
    assert sorted(have) == sorted(names)
    for name in names:
        assert "cpu-models" in have[name], name


@pytest.mark.parametrize(
    "name",
    [f"s390-ccw-virtio-{v}" for v in ("10.0", "7.2", "7.1", "7.0", "6.2", "6.1", "6.0", "5.2")]
    + [f"s390-ccw-virtio-{v}" for v in ("4.1", "4.0", "3.1", "3.0", "2.12", "2.11", "2.10", "2.9")],
)
def test_effective_featoff_and_qemu_model_equal_the_reference(name, reference):
    expected = expected_machine_state(reference)[name]
    facts = machines()[name]["cpu-models"]
    assert [featoff_key(f) for f in facts["featoff"]] == [
        featoff_key(f) for f in expected["featoff"]
    ]
    qemu = facts["qemu-model"]
    want = expected["qemu"]
    assert (qemu["type"], qemu["gen"], qemu["ga"], qemu["definition"]) == (
        want["type"],
        want["gen"],
        want["ga"],
        want["cpu_definition"],
    )
    assert qemu["feature-list"] == want["feature_list"]
    ref_list = next(
        q
        for q in CPU_REF["qemu_model_versions"]
        if q["name"] == "S390_FEAT_LIST_" + want["feature_list"]
    )
    assert len(qemu["features"]) == ref_list["cumulative_count"]
    assert set(qemu["features"]) == expand(ref_list["cumulative_grouped"])


def test_all_machines_compared(reference):
    """Every machine of the reference's family is in the parametrization above
    or has the state of one that is (no changes of its own)."""
    states = expected_machine_state(reference)
    for name, state in states.items():
        facts = machines()[name]["cpu-models"]
        assert [featoff_key(f) for f in facts["featoff"]] == [
            featoff_key(f) for f in state["featoff"]
        ], name
        assert facts["qemu-model"]["feature-list"] == state["qemu"]["feature_list"], name
        assert facts["qemu-model"]["definition"] == state["qemu"]["cpu_definition"], name


def test_qemu_model_set_by_the_nearest_version(reference):
    """The 'qemu' model comes from the machine itself or the nearest newer one
    that sets it; 7.2 and newer keep the registration-time default."""
    changes = CPU_REF["per_machine_cpu_changes"]
    for machine in ref_machines_newest_first(reference):
        facts = machines()[machine["name"]]["cpu-models"]["qemu-model"]
        entry = changes.get(machine["name"])
        if entry is not None and entry["qemu_model"] is not None:
            assert facts["set-by"] == machine["name"]
        elif entry is not None:
            source = entry["qemu_model_inherited"]["from"].split(" ")[0]
            assert facts["set-by"] == source
    for version in ("10.0", "9.2", "9.1", "9.0", "8.2", "8.1", "8.0", "7.2"):
        facts = machines()[f"s390-ccw-virtio-{version}"]["cpu-models"]["qemu-model"]
        assert facts["set-by"] is None
        assert facts["feature-list"] == "QEMU_MAX"
        assert (facts["type"], facts["gen"], facts["ga"]) == ("0x8561", 15, 1)


# ---- per-definition default sets --------------------------------------------


def test_definitions_equal_the_reference():
    ours = cpu_models()["definitions"]
    ref = CPU_REF["cpu_definitions"]
    assert [d["name"] for d in ours] == [d["name"] for d in ref]
    for mine, theirs in zip(ours, ref):
        assert mine["type"] == theirs["type"]
        assert (mine["gen"], mine["ga"]) == (theirs["gen"], theirs["ga"])
        assert mine["description"] == theirs["description"]
        assert mine["mha-pow"] == theirs["mha_pow"]
        assert mine["hmfai"] == theirs["hmfai"]
        gated = mine.get("guard") == {"config": "CONFIG_S390X_LEGACY_CPUS"}
        assert gated == theirs["legacy_cpu_config_gated"], mine["name"]


@pytest.mark.parametrize("kind", ["base", "default", "full"])
def test_feature_counts_of_every_definition(kind):
    for definition in CPU_REF["cpu_definitions"]:
        names = feature_set(definition["name"], kind)
        assert len(names) == len(set(names))
        assert len(names) == definition["feature_counts"][kind], definition["name"]


@pytest.mark.parametrize("kind", ["base", "default", "full"])
def test_deprecated_features_in_each_set(kind):
    deprecated = CPU_REF["deprecated_features"]["list"]
    for definition in CPU_REF["cpu_definitions"]:
        names = feature_set(definition["name"], kind)
        present = [name for name in names if name in deprecated]  # enum order
        assert present == definition[f"deprecated_in_{kind}"], definition["name"]


@pytest.mark.parametrize("key", sorted(CPU_REF["default_feature_sets"]))
def test_default_feature_sets_equal_the_reference(key):
    expected = CPU_REF["default_feature_sets"][key]
    for model in expected["models"]:
        assert feature_set(model, "default") == expected["features"]  # enum order


def test_feature_order_is_the_enum_order():
    """The reference's expanded sets are in enum order; so is our feature table."""
    order = {f["name"]: i for i, f in enumerate(cpu_models()["features"])}
    for expected in CPU_REF["default_feature_sets"].values():
        positions = [order[name] for name in expected["features"]]
        assert positions == sorted(positions)
    assert len(order) == 394  # S390_FEAT_MAX


def test_grouped_form_equals_qemus_reporting():
    """s390_feat_bitmap_to_ascii: whole groups first, then single features."""
    from mtc import cpumodels, pipeline
    from mtc.diagnostics import Diagnostics

    resolved = pipeline.compile_project(pipeline.Project(ROOT), Diagnostics())
    info = resolved.targets["s390x"].cpu_models
    for expected in CPU_REF["default_feature_sets"].values():
        mask = info.sets.mask_of(expected["features"])
        assert info.sets.ascii(mask) == expected["features_grouped"]
    for expected in CPU_REF["qemu_model_versions"]:
        name = expected["name"].removeprefix("S390_FEAT_LIST_")
        assert info.sets.ascii(info.sets.qemu_lists[name]) == expected["cumulative_grouped"]
    # query-cpu-model-expansion 'full' reports every deprecated feature,
    # prepended in enum order.
    assert cpumodels.deprecated_props(info.sets) == CPU_REF["deprecated_features"]["qmp_list_order"]


def test_qemu_feature_lists_equal_the_reference():
    lists = cpu_models()["qemu-feature-lists"]
    previous: set[str] = set()
    assert list(lists) == [
        q["name"].removeprefix("S390_FEAT_LIST_") for q in CPU_REF["qemu_model_versions"]
    ]
    for expected in CPU_REF["qemu_model_versions"]:
        ours = lists[expected["name"].removeprefix("S390_FEAT_LIST_")]
        assert len(ours) == expected["cumulative_count"]
        assert set(ours) - previous == set(expected["adds"])
        assert not set(ours) & set(CPU_REF["deprecated_features"]["list"])
        previous = set(ours)


def test_effective_default_changes_per_definition(reference):
    """What each machine removes from each definition's compiled default set:
    every featoff of its chain that reaches the definition's generation/GA, for
    the features the reference says are in that definition's default set."""
    ref_features = {f["property"]: f for f in CPU_REF["features"].values()}
    group = CPU_REF["feature_groups_referenced"]

    def in_default(feature: str, level: tuple[int, int]) -> bool:
        facts = ref_features[feature]
        first = facts["first_in_default"]
        if first is None or level < level_key(first):
            return False
        return all(level != level_key(gap) for gap in facts["default_gaps"])

    states = expected_machine_state(reference)
    for name, state in states.items():
        expected: dict[str, set[str]] = {}
        for definition in CPU_REF["cpu_definitions"]:
            level = (definition["gen"], definition["ga"])
            removed = set()
            for featoff in state["featoff"]:
                if level < (featoff["gen"], featoff["ga"]):
                    continue
                for entry in featoff["features"]:
                    entry = entry.split(" (")[0]
                    if entry in group:
                        if level >= (14, 1):  # in default_GEN14_GA1 (the reference's note)
                            removed |= set(group[entry]["members"])
                    elif in_default(entry, level):
                        removed.add(entry)
            if removed:
                expected[definition["name"]] = removed
        facts = machines()[name]["cpu-models"]["default-features-removed"]
        assert {k: set(v) for k, v in facts.items()} == expected, name


def test_featoff_of_a_feature_in_no_default_set_changes_nothing():
    """2.9 clears ais, which no default set has (the reference's note)."""
    facts = machines()["s390-ccw-virtio-2.9"]["cpu-models"]
    assert any("ais" in f["names"] for f in facts["featoff"])
    assert all("ais" not in removed for removed in facts["default-features-removed"].values())


# ---- features and deprecation -----------------------------------------------


def test_deprecated_list_equals_the_reference():
    models = cpu_models()
    assert models["deprecated-features"] == CPU_REF["deprecated_features"]["list"]
    flagged = [f["name"] for f in models["features"] if f["deprecated"]]
    assert set(flagged) == set(CPU_REF["deprecated_features"]["list"])
    enums = {f["name"]: f["enum"] for f in models["features"]}
    assert [enums[n] for n in models["deprecated-features"]] == CPU_REF["deprecated_features"][
        "enums"
    ]


def test_features_of_the_reference():
    ours = {f["name"]: f for f in cpu_models()["features"]}
    for facts in CPU_REF["features"].values():
        mine = ours[facts["property"]]
        assert mine["enum"] == facts["enum"]
        assert mine["description"] == facts["description"]
        assert mine["deprecated"] == facts["deprecated"]


def test_first_generation_with_each_reference_feature():
    models = cpu_models()
    levels = sorted(models["feature-sets"], key=level_key)
    for facts in CPU_REF["features"].values():
        name = facts["property"]
        for kind in ("base", "default", "full"):
            first = next((lv for lv in levels if name in models["feature-sets"][lv][kind]), None)
            expected = facts[f"first_in_{kind}"]
            assert (first and level_key(first)) == (expected and level_key(expected)), (
                name,
                kind,
            )


def test_machines_turning_features_off_equal_the_reference():
    for facts in CPU_REF["features"].values():
        expected = {
            (t["machine"], t["from_gen"], t["from_ga"]) for t in facts["turned_off_by_machine"]
        }
        ours = set()
        for name, machine in machines().items():
            for featoff in machine["cpu-models"]["featoff"]:
                if featoff["set-by"] == name and facts["property"] in featoff["names"]:
                    ours.add((name, featoff["gen"], featoff["ga"]))
        assert ours == expected, facts["property"]


def test_mepochptff_group_equals_the_reference():
    expected = CPU_REF["feature_groups_referenced"]["mepochptff"]
    group = next(g for g in cpu_models()["groups"] if g["name"] == "mepochptff")
    assert group["enum"] == expected["enum"]
    assert group["description"] == expected["description"]
    assert group["features"] == expected["members"]


# ---- host-recommended ---------------------------------------------------------


def host_reference_set() -> set[str]:
    key = next(k for k, v in CPU_REF["default_feature_sets"].items() if HOST in v["models"])
    return set(CPU_REF["default_feature_sets"][key]["features"])


def test_host_recommended_is_the_host_model_minus_deprecated_features():
    recommended = cpu_models()["host-recommended"]
    deprecated = set(CPU_REF["deprecated_features"]["list"])
    host = host_reference_set()
    assert cpu_models()["host-model"] == HOST
    assert recommended["host-model"] == HOST
    assert set(recommended["features"]) == host - deprecated
    # deprecated-props: exactly the deprecated features the host model has
    # (a 'static' expansion), here the reference's cte and te.
    assert set(recommended["deprecated-props"]) == host & deprecated
    assert set(recommended["deprecated-props"]) == {"cte", "te"}
    assert recommended["model"]["name"] == f"{HOST}-base"
    props = recommended["model"]["props"]
    for name in host & deprecated:
        assert props[name] is False
    enabled = expand(n for n, on in props.items() if on)
    disabled = expand(n for n, on in props.items() if not on)
    base = set(feature_set(HOST, "base"))
    assert (base | enabled) - disabled == host - deprecated


# ---- libvirt domcapabilities ----------------------------------------------------


@functools.lru_cache(maxsize=None)
def domcaps():
    return etree.ElementTree(etree.fromstring(at_10_0("libvirt/domcaps-s390x.xml").encode()))


def test_domcaps_validates_against_libvirts_schema():
    assert DOMCAPS_SCHEMA.is_file(), (
        f"{DOMCAPS_SCHEMA} is missing: install Debian's libvirt0 package "
        "(apt-get install libvirt0; .ci/run does this)"
    )
    schema = etree.RelaxNG(etree.parse(str(DOMCAPS_SCHEMA)))
    assert schema.validate(domcaps()), schema.error_log
    # The committed file too, whatever release machines/ has moved on to.
    assert schema.validate(etree.parse(str(DOMCAPS))), schema.error_log


def test_domcaps_host_model_disables_exactly_the_deprecated_features():
    mode = domcaps().find("cpu/mode[@name='host-model']")
    assert mode.get("supported") == "yes"
    model = mode.find("model")
    assert model.get("fallback") == "forbid"
    assert model.text == f"{HOST}-base"
    policies = {f.get("name"): f.get("policy") for f in mode.findall("feature")}
    deprecated = set(CPU_REF["deprecated_features"]["list"])
    host = host_reference_set()
    disabled = {name for name, policy in policies.items() if policy == "disable"}
    assert disabled == host & deprecated
    required = {name for name, policy in policies.items() if policy == "require"}
    assert not required & deprecated
    base = set(feature_set(HOST, "base"))
    assert base | expand(required) == host - deprecated
    names = [f.get("name") for f in mode.findall("feature")]
    assert names == sorted(names)


def test_domcaps_names_the_default_machine_and_every_model():
    root = domcaps().getroot()
    assert root.findtext("path") == "/usr/bin/qemu-system-s390x"
    assert root.findtext("domain") == "kvm"
    assert root.findtext("machine") == "s390-ccw-virtio-10.0"
    assert root.findtext("arch") == "s390x"
    custom = root.find("cpu/mode[@name='custom']")
    models = {m.text: m for m in custom.findall("model")}
    # The sets only grow from one GA to the next, except that gen15 drops csske
    # (base, default) and bpb (default) (the reference's default_feature_sets
    # note): so a model is usable on the gen17a host unless its set has one of
    # them -- QEMU 10.0 reports them as unavailable-features, deprecated or not.
    host_deprecated = host_reference_set() & set(CPU_REF["deprecated_features"]["list"])
    for definition in CPU_REF["cpu_definitions"]:
        for name, kind in ((definition["name"], "default"), (definition["name"] + "-base", "base")):
            assert models[name].get("vendor") == "IBM"
            usable = set(definition[f"deprecated_in_{kind}"]) <= host_deprecated
            assert models[name].get("usable") == ("yes" if usable else "no"), name
    assert models["z13"].get("usable") == "no"  # csske, bpb
    assert models["gen16b"].get("usable") == "yes"
    for other in CPU_REF["other_cpu_models"]:
        if other["name"] != "host":
            assert models[other["name"]].get("vendor") == "unknown"


# ---- C ---------------------------------------------------------------------------


def test_c_statements_equal_qemus_instance_options(reference):
    """The statements handed to the C backend are QEMU's, call for call."""
    from mtc import cpumodels, pipeline
    from mtc.diagnostics import Diagnostics

    corpus = pipeline.load(pipeline.Project(ROOT), Diagnostics())
    from mtc import checks

    checks.check(corpus, Diagnostics())
    ours = {m.name: m for m in corpus.machines if m.family == "s390-ccw-virtio"}
    for machine in reference["families"]["s390-ccw-virtio"]["machines"]:
        lines = cpumodels.machine_cpu_c_lines(corpus, ours[machine["name"]])
        code = [line for line in lines if not line.startswith("/*")]
        expected = []
        for key, value in machine["instance_options"].items():
            expected.append(f"{key};" if value == "call" else f"{key} = {value};")
        assert sorted(code) == sorted(expected), machine["name"]
        calls = [line for line in expected if "(" in line and not line.startswith("static")]
        assert [line for line in code if line in calls] == calls, machine["name"]
        if any(line.startswith("static const S390FeatInit") for line in code):
            assert code[0].startswith("static const S390FeatInit qemu_cpu_feat = ")


# ---- JSON schema, build configuration, speed ---------------------------------------


def test_s390x_json_validates_against_the_schema():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(s390x_json(), schema, cls=jsonschema.Draft202012Validator)


def test_other_targets_have_no_cpu_models():
    for target in ("x86_64", "i386", "aarch64", "arm", "ppc64"):
        data = json.loads((ROOT / "generated" / "json" / f"{target}.json").read_text())
        assert "cpu-models" not in data
        assert all("cpu-models" not in m for m in data["machines"])


def test_legacy_cpus_off_drops_their_definitions_and_machines(project_copy):
    result = run_mtc(
        "build", "--root", str(project_copy), "--config", "CONFIG_S390X_LEGACY_CPUS=off"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((project_copy / "generated" / "json" / "s390x.json").read_text())
    legacy = {d["name"] for d in CPU_REF["cpu_definitions"] if d["legacy_cpu_config_gated"]}
    names = {d["name"] for d in data["cpu-models"]["definitions"]}
    assert names == {d["name"] for d in CPU_REF["cpu_definitions"]} - legacy
    assert len(legacy) == 17
    built = {m["name"] for m in data["machines"]}
    assert not built & {f"s390-ccw-virtio-{v}" for v in ("2.9", "2.10", "2.11")}
    domcaps_text = (project_copy / "generated" / "libvirt" / "domcaps-s390x.xml").read_text()
    assert ">z900<" not in domcaps_text and ">gen17a-base<" in domcaps_text


def test_cpu_model_outputs_do_not_depend_on_the_hash_seed():
    import os
    import subprocess
    import sys

    script = (
        "import sys, hashlib; from pathlib import Path; "
        "from mtc import pipeline; from mtc.diagnostics import Diagnostics; "
        "r = pipeline.compile_project(pipeline.Project(Path(sys.argv[1])), Diagnostics()); "
        "out = pipeline.emit(r); "
        "print(out['json/s390x.json'] == Path(sys.argv[1], 'generated/json/s390x.json')"
        ".read_text(), hashlib.sha256(out['json/s390x.json'].encode()).hexdigest())"
    )
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", script, str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(result.stdout.split())
    assert runs[0] == runs[1]
    assert runs[0][0] == "True"  # and it is what generated/ holds
