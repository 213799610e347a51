"""README's "Doing a release", replayed word for word on a copy of the project.

Every fenced block of the section is a step, in order:
  - ```sh: each command line is run in the project (mtc as `python -m mtc`);
    it must exit 0, or what a trailing "# exits N: text" says, and then
    print that text;
  - ```mtc whose first line is "# add to FILE" (appended), "# add to FILE,
    below "LINE"" (inserted after that line) or "# in FILE, replace "LINE"
    with": the edit a maintainer makes by hand.

The guide's binaries are a freshly built QEMU (build/qemu-system-*); here
they are Debian's QEMU 10.0.2 (/usr/bin/qemu-system-*), the only QEMU the
test machine has: its registries import unchanged, and verify compares it
with machines/ as of 10.0.  The guide opens 10.1 after 10.0; once machines/
itself has moved on (a maintainer opened 10.1), the release in progress is
dated first and the guide's versions and dates are read one release later.
"""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, date_open_release

SECTION = "## Doing a release"
ADD = re.compile(r'# add to (\S+?)(?:, below "(.+)")?$')
REPLACE = re.compile(r'# in (\S+), replace "(.+)" with$')
EXPECT = re.compile(r"#\s*exits (\d+)(?::\s*(.+))?$")
GIT_IDENTITY = ["-c", "user.email=release@example.com", "-c", "user.name=release"]


def guide_blocks(renumber: dict[str, str]) -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end >= 0 else None]
    if renumber:
        pattern = re.compile("|".join(re.escape(k) for k in renumber) + r"(?![0-9])")
        section = pattern.sub(lambda m: renumber[m.group(0)], section)
    return [
        (kind, body.rstrip("\n").split("\n"))
        for kind, body in re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    ]


def run_line(root: Path, line: str) -> None:
    command, _, comment = line.partition("  #")
    expected, text = 0, None
    if comment:
        match = EXPECT.match("#" + comment)
        assert match, f"unreadable comment in the guide: {line}"
        expected, text = int(match.group(1)), match.group(2)
    argv = shlex.split(command)
    argv = [a.replace("build/qemu-system-", "/usr/bin/qemu-system-") for a in argv]
    if argv[0] == "mtc":
        argv = [sys.executable, "-m", "mtc", *argv[1:]]
    elif argv[0] == "git":
        argv = ["git", *GIT_IDENTITY, *argv[1:]]
    else:
        raise AssertionError(f"the guide runs something other than mtc or git: {line}")
    result = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == expected, f"$ {line}\n{output[-4000:]}"
    assert "Traceback" not in output
    if text is not None:
        assert text in output, f"$ {line}\nexpected: {text}\n{output[-4000:]}"


def apply_edit(root: Path, lines: list[str]) -> None:
    head, body = lines[0], "\n".join(lines[1:]) + "\n"
    if match := ADD.match(head):
        path = root / match.group(1)
        text = path.read_text()
        anchor = match.group(2)
        if anchor is None:
            path.write_text(text + ("" if text.endswith("\n") else "\n") + body)
            return
        assert text.count(anchor + "\n") == 1, f"{head}: not one such line"
        path.write_text(text.replace(anchor + "\n", anchor + "\n" + body, 1))
    elif match := REPLACE.match(head):
        path = root / match.group(1)
        text = path.read_text()
        old = match.group(2) + "\n"
        assert text.count(old) == 1, f"{head}: not one such line"
        path.write_text(text.replace(old, body, 1))
    else:
        raise AssertionError(f"an mtc block of the guide says no edit: {head}")


def test_the_release_guide_replays(tmp_path):
    root = tmp_path / "project"
    for name in ("machines", "generated"):
        shutil.copytree(ROOT / name, root / name)
    (major, minor), day = date_open_release(root)
    renumber = {}
    if (major, minor) != (10, 0):
        new = (major, minor + 1) if minor < 2 else (major + 1, 0)
        renumber = {
            "10.1": f"{new[0]}.{new[1]}",
            "10.0": f"{major}.{minor}",
            "10_0": f"{major}_{minor}",
            "2025-08-26": f"{int(day[:4]) + 1}{day[4:]}",
        }
        subprocess.run([sys.executable, "-m", "mtc", "build"], cwd=root, check=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", *GIT_IDENTITY, "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", *GIT_IDENTITY, "commit", "-qm", "start"], cwd=root, check=True)
    blocks = guide_blocks(renumber)
    assert len(blocks) >= 10
    kinds = {kind for kind, _ in blocks}
    assert kinds == {"sh", "mtc"}, kinds
    commands = []
    for kind, lines in blocks:
        if kind == "mtc":
            apply_edit(root, lines)
            continue
        for line in lines:
            if line.strip() and not line.startswith("#"):
                run_line(root, line)
                commands.append(line.split()[:2])
    # Every step the issue names is in the guide.
    for step in (
        ["mtc", "new-version"],
        ["mtc", "import-qom"],
        ["mtc", "abi-check"],
        ["mtc", "verify"],
        ["mtc", "release"],
        ["mtc", "check"],
    ):
        assert step in commands, step
    # The end state: 10.1 is out, the tree is clean and consistent.
    dated = renumber.get("10.1", "10.1"), renumber.get("2025-08-26", "2025-08-26")
    assert "release {} date {}".format(*dated) in (root / "machines" / "releases.mtc").read_text()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
    )
    assert status.stdout == ""
