"""Reviewable JSON (issue 13, item 4; issue 15, item 4): a change to
machines/ changes only the generated records that carry its effect."""

import difflib
import json
import re

from conftest import ROOT, run_mtc


def build(project) -> dict[str, str]:
    result = run_mtc("build", "-q", "--root", str(project))
    assert result.returncode == 0, result.stderr
    return {p.name: p.read_text() for p in (project / "generated" / "json").glob("*.json")}


def test_a_comment_line_changes_no_json(project_copy):
    before = build(project_copy)
    hw = project_copy / "machines" / "hw.mtc"
    hw.write_text("# a reviewer's note, shifting every line below it\n" + hw.read_text())
    assert build(project_copy) == before


def test_one_compat_entry_changes_only_the_machines_it_reaches(project_copy):
    before = build(project_copy)
    hw = project_copy / "machines" / "hw.mtc"
    text = hw.read_text()
    anchor = re.search(r"compat hw 9\.0 \{\n", text)
    hw.write_text(
        text[: anchor.end()] + '    e1000e.migrate-timadj = "off"\n' + text[anchor.end() :]
    )
    after = build(project_copy)
    for name, old in before.items():
        new = after[name]
        changed = [
            line
            for line in difflib.unified_diff(old.splitlines(), new.splitlines(), n=0)
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
        ]
        data = json.loads(new)
        # Exactly one added line per machine type that applies hw_compat_9_0:
        # 9.0 and older versions of every family built into this target.
        reached = [
            m
            for m in data["machines"]
            if any(p["set"] == "hw_compat_9_0" for p in m["compat-props"])
        ]
        entry = (
            '{"qom-type":"e1000e","property":"migrate-timadj","value":"off","set":"hw_compat_9_0"}'
        )
        assert all(line.startswith("+") for line in changed), name
        assert len(changed) == len(reached), name
        assert all(entry in line for line in changed), name


def test_records_keep_their_set_and_its_release():
    data = json.loads((ROOT / "generated" / "json" / "x86_64.json").read_text())
    sets = data["compat-sets"]
    assert sets["hw_compat_9_2"] == {"release": "9.2"}
    assert sets["pc_q35_compat_defaults"] == {"release": None}
    q35 = next(m for m in data["machines"] if m["name"] == "pc-q35-9.2")
    assert {p["set"] for p in q35["compat-props"]} <= set(sets)
    assert not re.search(r"\.mtc:\d", (ROOT / "generated" / "json" / "x86_64.json").read_text())
