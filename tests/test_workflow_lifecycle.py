"""mtc lifecycle against the reference's statement of QEMU's policy."""

import re
import json

from conftest import ROOT, run_mtc

FAMILIES = ("pc-i440fx", "pc-q35")


def lifecycle(*argv, root=None):
    args = ["lifecycle", "--json", *argv]
    if root is not None:
        args += ["--root", str(root)]
    result = run_mtc(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def names(items):
    return {item["name"] for item in items if item["family"] in FAMILIES}


def past(cutoff, version, at):
    """The reference's rule, as it states it in words."""
    major, minor = (int(p) for p in version.split(".")[:2])
    at_major, at_minor = at
    return at_major - major > cutoff or (at_major - major == cutoff and minor <= at_minor)


def test_at_the_current_release_matches_qemu_10_0(reference):
    data = lifecycle()
    assert data["at"] == data["judged-as"] == data["current-release"] == "10.0"
    facts = reference["lifecycle_policy"]["at_10_0_0"]
    expected = {n for f in FAMILIES for n in facts["deprecated_machines"][f]}
    assert names(data["deprecated"]) == expected
    due = {n for f in FAMILIES for n in facts["deleted_with_QEMU_DELETE_MACHINES"][f]}
    assert names(data["deletion-due"]) == due
    by_name = {d["name"]: d for d in data["deprecated"]}
    assert by_name["pc-q35-7.0"]["deprecated-since"] == "10.0"
    assert by_name["pc-q35-6.2"]["deprecated-since"] == "9.2"
    assert by_name["pc-q35-4.0.1"]["source"] == "policy"
    assert by_name["pc-q35-7.0"]["reason"] == (
        reference["lifecycle_policy"]["constants"]["MACHINE_VER_DEPRECATION_MSG"]
    )


def test_the_next_releases_follow_the_rule(reference):
    data = lifecycle("--next", "4")
    # Projected, or declared ahead (planned) after 'mtc new-version 10.1'.
    assert [(s["release"], s["projected"] or s["planned"]) for s in data["next"]] == [
        ("10.1", True),
        ("10.2", True),
        ("11.0", True),
        ("11.1", True),
    ]
    machines = json.loads((ROOT / "generated" / "json" / "x86_64.json").read_text())["machines"]
    versions = {m["name"]: m["version"] for m in machines if m["family"] in FAMILIES}
    previous = (10, 0)
    for step in data["next"]:
        at = tuple(int(p) for p in step["release"].split("."))
        for key, cutoff in (("deprecated", 3), ("deletion-due", 6)):
            expected = {
                n
                for n, v in versions.items()
                if past(cutoff, v, at) and not past(cutoff, v, previous)
            }
            got = {n for n in step[key] if n in versions}
            assert got == expected, (step["release"], key)
        previous = at
    assert set(data["next"][0]["deprecated"]) >= {"pc-i440fx-7.1", "pc-q35-7.1"}
    assert set(data["next"][0]["deletion-due"]) >= {"pc-i440fx-4.1", "pc-q35-4.1"}


def test_text_output():
    result = run_mtc("lifecycle", "--next", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("mtc lifecycle: at 10.0 (the current release)\n")
    assert "deprecated after 3 majors, deletion due after 6" in out
    assert re.search(r"\n  pc-q35-7.0 +since 10.0   policy\n", out)
    # 10.1 is projected, or planned (with its new machine types) once opened.
    assert re.search(
        r"\n  10\.1 \((projected|planned)\): (new: [^;]*; )?newly deprecated: virt-7.1, "
        r"pseries-7.1, s390-ccw-virtio-7.1, pc-i440fx-7.1, pc-q35-7.1; newly due for "
        r"deletion: virt-4.1, pseries-4.1, s390-ccw-virtio-4.1, pc-i440fx-4.1, pc-q35-4.1; "
        # 10.1 enforces deletion: every machine type due by then leaves the build.
        r"left out of the build: virt-2.6 \.\. virt-4.1 \(11\), [^\n]*, "
        r"pc-q35-2.4 \.\. pc-q35-4.1 \(14\)\n",
        out,
    ), out
    assert "deletion enforced from 10.1 on: machine types due for deletion are left out" in out


def test_a_development_tree_is_judged_as_the_previous_release(reference):
    # 9.2.50 is the 10.0 development tree: QEMU's macros see 9.2.
    data = lifecycle("--at", "9.2.50")
    assert data["at"] == "9.2.50" and data["judged-as"] == "9.2"
    deprecated = names(data["deprecated"])
    due = names(data["deletion-due"])
    assert deprecated and all(past(3, n.rsplit("-", 1)[1], (9, 2)) for n in deprecated)
    assert "pc-q35-6.2" in deprecated and "pc-q35-7.0" not in deprecated
    assert "pc-q35-3.1" in due and "pc-q35-4.0" not in due  # <= 3.2 only
    assert data["next"][0]["release"] == "10.0" and data["next"][0]["projected"] is False
    assert "pc-q35-10.0" in data["next"][0]["new-machines"]


def test_explicit_deprecation_removal_and_unstable(tmp_path):
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "all.mtc").write_text("""\
target x86_64 { binary "qemu-system-x86_64" arch x86_64 wordsize 64 }
release 9.0 date 2024-04-23
release 9.1 date 2024-09-03
release 9.2 date 2024-12-10
release 10.0 date 2025-04-22
option max-cpus int c "m->max_cpus" query "cpu-max"
family pc { name "pc-{version}" targets x86_64 alias pc option max-cpus = 255 }
family next { name "next-{version}" targets x86_64 }
machine pc 10.0 { alias default }
machine pc 9.2 { }
machine pc 9.1 { }
machine pc 9.0 { deprecated since 9.1 "use pc-9.1"  removed 10.0 }
machine next 10.0 { unstable }
""")
    before = lifecycle("--at", "9.0", root=tmp_path)
    assert before["deprecated"] == [] and before["policy"] is None
    assert [s["release"] for s in before["next"]] == ["9.1", "9.2", "10.0"]
    assert before["next"][0]["deprecated"] == ["pc-9.0"]
    assert before["next"][2]["removed"] == ["pc-9.0"]
    at = lifecycle("--at", "9.2", root=tmp_path)
    assert [(d["name"], d["deprecated-since"], d["source"]) for d in at["deprecated"]] == [
        ("pc-9.0", "9.1", "explicit")
    ]
    now = lifecycle(root=tmp_path)
    assert now["deprecated"] == [] and [r["name"] for r in now["removed"]] == ["pc-9.0"]
    text = run_mtc("lifecycle", "--root", str(tmp_path)).stdout
    assert "no lifecycle policy: only explicit deprecations apply" in text
    assert "removed by 10.0: 1 machine type\n  pc-9.0     removed in 10.0\n" in text


def test_usage_errors():
    for argv, message in (
        (["--at", "10"], "--at must look like X.Y or X.Y.Z"),
        (["--at", "ten.one"], "--at must look like"),
        (["--next", "-1"], "--next takes a number"),
    ):
        result = run_mtc("lifecycle", *argv)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
