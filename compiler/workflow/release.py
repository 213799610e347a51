"""mtc release X.Y --date D: a planned release is out.

`mtc new-version X.Y` opens X.Y as planned ('release X.Y planned'): its
machine types exist, but the build's current release stays the one before,
as QEMU's development tree (X.Y-1.50) judges itself.  When X.Y is tagged,
this command dates it ('release X.Y date D', edited in place) and rebuilds
generated/: X.Y becomes the current release, so QEMU's policy deprecates
(and, where the policy enforces deletion, leaves out) the machine types it
reaches at X.Y, and abi-check counts X.Y's machine types as released.
"""

from __future__ import annotations

import sys
from datetime import date

from . import common
from .newversion import parse_day
from .sources import compile_edited, load_sources, print_diff, release_node, write_and_rebuild

NAME = "release"


def check_arguments(corpus, version_text: str, day: str):
    version = common.parse_version(version_text, "the release")
    release = corpus.releases.get(version)
    if release is None:
        raise common.usage_error(
            f"machines/ declares no release {version} (open it with mtc new-version {version})"
        )
    if not release.planned:
        raise common.usage_error(f"release {version} is dated already ({release.date})")
    earlier = [r for r in corpus.releases if r < version]
    planned = [r for r in earlier if corpus.releases[r].planned]
    if planned:
        raise common.usage_error(
            f"release {min(planned)} before it is still planned: date it first"
        )
    parsed = parse_day(day)
    if earlier:
        previous = corpus.releases[max(earlier)]
        if parsed <= date.fromisoformat(previous.date):
            raise common.usage_error(
                f"--date {day} is not after release {previous.version} ({previous.date})"
            )
    return version


def changes(before, after) -> list[str]:
    """What dating the release changes in the build, for the maintainer."""
    notes = []
    old = {(t, m.name): m for t, rt in before.targets.items() for m in rt.machines}
    new = {(t, m.name): m for t, rt in after.targets.items() for m in rt.machines}
    deprecated = sorted(
        {name for (t, name), m in new.items() if m.deprecated and not old[(t, name)].deprecated}
    )
    gone = sorted({name for (t, name) in old if (t, name) not in new})
    if deprecated:
        notes.append(f"newly deprecated: {', '.join(deprecated)}")
    if gone:
        notes.append(f"left out of the build: {', '.join(gone)}")
    return notes


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="date a planned release: it is out",
        description="Date release X.Y, planned until now ('release X.Y planned' becomes "
        "'release X.Y date D', edited in place), and rebuild generated/.  X.Y becomes the "
        "build's current release: QEMU's lifecycle policy is judged at X.Y, and abi-check "
        "counts X.Y's machine types as released.  Exit 0 done, 1 errors in machines/, "
        "2 usage errors.",
    )
    p.add_argument("version", metavar="X.Y", help="the planned release that is out")
    p.add_argument("--date", metavar="YYYY-MM-DD", required=True, help="its release date")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the edit of machines/ as a unified diff and change nothing",
    )


def run(args) -> int:
    try:
        project, resolved = common.load_current(args)
        version = check_arguments(resolved.corpus, args.version, args.date)
        files = load_sources(project, resolved.corpus)
        source, node = release_node(files, version)
        source.edits.append(
            (node.meta.start_pos, node.meta.end_pos, f"release {version} date {args.date}")
        )
        source.what.append(f"release {version} date {args.date}")
        if args.dry_run:
            print_diff([source])
            return 0
        after = compile_edited(project, [source])
        notes = changes(resolved, after)
        if resolved.corpus.lifecycle is not None and (
            resolved.corpus.lifecycle.enforces_deletion(version)
        ):
            notes.append(f"the lifecycle policy enforces deletion at {version}")
        write_and_rebuild(project, [source], notes)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    return 0
