"""mtc lifecycle: what is deprecated and what is due for deletion at a release,
and what changes in the next ones.

Deprecation is explicit ('deprecated [since X.Y] "reason"', in effect from
X.Y on, inherited by the older machines of the chain) or QEMU 9.1+'s
automatic policy (the 'lifecycle' block; lifecycle.py has the MACHINE_VER_*
rule).  Unstable machines and families with a manual life cycle are never
deprecated by the policy.  Where the policy enforces deletion, a machine
type due for deletion is left out of the build, as one removed is.
Releases not declared are projected the way QEMU numbers them since 4.0:
X.0, X.1, X.2, then (X+1).0; declared ones may be planned (no date yet).
QEMU's macros read only MAJOR.MINOR of its VERSION, so a development or
release-candidate tree of the next release (X.Y.50, X.Y.90..) is judged as
X.Y.
"""

from __future__ import annotations

import json
import sys

from ..records import record
from .. import lifecycle
from ..model import Corpus, Machine
from ..versions import Version
from . import common

NAME = "lifecycle"


@record
class Status:
    machine: Machine
    deprecated: bool = False
    deprecated_since: Version | None = None
    reason: str | None = None
    source: str | None = None  # "explicit" or "policy"
    deletion_due: bool = False
    deletion_since: Version | None = None
    removed: Version | None = None
    deleted: bool = False  # due for deletion and the policy enforces it: not built

    def to_json(self) -> dict:
        return {
            "name": self.machine.name,
            "family": self.machine.family,
            "version": str(self.machine.version) if self.machine.version else None,
            "deprecated": self.deprecated,
            "deprecated-since": str(self.deprecated_since) if self.deprecated_since else None,
            "reason": self.reason,
            "source": self.source,
            "deletion-due": self.deletion_due,
            "deletion-due-since": str(self.deletion_since) if self.deletion_since else None,
            "deleted": self.deleted,
            "removed": str(self.removed) if self.removed else None,
        }


next_release = lifecycle.next_release


def timeline(corpus: Corpus, until: Version) -> list[Version]:
    """Declared releases, then projected ones, up to and including `until`."""
    known = sorted(corpus.releases)
    version = known[-1] if known else Version((0, 0))
    while version < until:
        version = next_release(version)
        known.append(version)
    return known


def automatic(corpus: Corpus, machine: Machine) -> bool:
    family = corpus.families.get(machine.family)
    manual = getattr(family, "manual_lifecycle", False)
    return (
        corpus.lifecycle is not None
        and machine.version is not None
        and machine.unstable is None
        and not manual
    )


def status(corpus: Corpus, machine: Machine, at: Version, releases: list[Version]) -> Status:
    result = Status(machine)
    policy = corpus.lifecycle
    manual = not automatic(corpus, machine)
    if machine.removed is not None and machine.removed[0].release <= at:
        result.removed = machine.removed[0]
    explicit = lifecycle.explicit_deprecation(machine, at)
    if lifecycle.policy_deprecates(machine, policy, at, manual):
        # MACHINE_VER_DEPRECATION runs last: its reason replaces an explicit one.
        result.deprecated, result.source = True, "policy"
        result.reason = policy.reason or "deprecated"
        result.deprecated_since = lifecycle.first_expired(
            policy.deprecate_after, machine.version, releases
        )
    elif explicit is not None:
        result.deprecated, result.reason, result.source = True, explicit.reason, "explicit"
        result.deprecated_since = explicit.since
    if lifecycle.deletion_due(machine, policy, at, manual):
        result.deletion_due = True
        result.deletion_since = lifecycle.first_expired(
            policy.delete_after, machine.version, releases
        )
        result.deleted = policy.enforces_deletion(at)
    return result


def machines_at(corpus: Corpus, at: Version) -> list[Machine]:
    """Machines that exist at release `at`."""
    return [m for m in corpus.machines if m.name and (m.version is None or m.version.release <= at)]


def sort_newest_first(corpus: Corpus, machines: list[Machine]) -> list[Machine]:
    order = {name: index for index, name in enumerate(corpus.families)}
    return sorted(
        machines,
        key=lambda m: (order.get(m.family, 0), -_rank(m)),
    )


def _rank(machine: Machine) -> float:
    if machine.version is None:
        return float("inf")
    parts = machine.version.parts + (0,) * (3 - len(machine.version.parts))
    return parts[0] * 1e6 + parts[1] * 1e3 + parts[2]


@record
class Report:
    at: Version
    asked: str
    current: Version | None
    statuses: list[Status]
    steps: list[dict]
    policy: dict | None
    planned: tuple[Version, ...] = ()

    def to_json(self) -> dict:
        return {
            "at": self.asked,
            "judged-as": str(self.at),
            "current-release": str(self.current) if self.current else None,
            "planned-releases": [str(v) for v in self.planned],
            "policy": self.policy,
            "deprecated": [s.to_json() for s in self.statuses if s.deprecated and not s.removed],
            "deletion-due": [
                s.to_json() for s in self.statuses if s.deletion_due and not s.removed
            ],
            "removed": [s.to_json() for s in self.statuses if s.removed],
            "next": self.steps,
        }


def report(corpus: Corpus, at: Version, asked: str, steps: int) -> Report:
    horizon = at
    for _ in range(steps):
        horizon = next_release(horizon)
    releases = timeline(corpus, horizon)
    machines = sort_newest_first(corpus, machines_at(corpus, at))
    statuses = [status(corpus, m, at, releases) for m in machines]
    upcoming = []
    previous = {id(s.machine): s for s in statuses}
    release = at
    declared = set(corpus.releases)
    for _ in range(steps):
        release = following(corpus, release)
        step = {
            "release": str(release),
            "projected": release not in declared,
            "planned": release in declared and corpus.releases[release].planned,
            "new-machines": [],
            "deprecated": [],
            "deletion-due": [],
            "deleted": [],
            "removed": [],
        }
        for machine in sort_newest_first(corpus, machines_at(corpus, release)):
            now = status(corpus, machine, release, releases)
            before = previous.get(id(machine))
            if before is None:
                step["new-machines"].append(machine.name)
            if now.removed and not (before and before.removed):
                step["removed"].append(machine.name)
            elif now.deprecated and not (before and before.deprecated):
                step["deprecated"].append(machine.name)
            if now.deletion_due and not (before and before.deletion_due) and not now.removed:
                step["deletion-due"].append(machine.name)
            if now.deleted and not (before and before.deleted) and not now.removed:
                step["deleted"].append(machine.name)
            previous[id(machine)] = now
        upcoming.append(step)
    policy = corpus.lifecycle
    policy_json = None
    if policy is not None:
        policy_json = {
            "deprecate-after": policy.deprecate_after,
            "delete-after": policy.delete_after,
            "enforce-deletion": policy.enforce_deletion is not None,
            "enforce-deletion-since": str(policy.enforce_since) if policy.enforce_since else None,
            "deletion-enforced": policy.enforces_deletion(at),
            "reason": policy.reason,
            "removal-notice": policy.removal_notice,
            "location": common.where(policy.location),
        }
    planned = tuple(v for v, r in sorted(corpus.releases.items()) if r.planned)
    return Report(at, asked, corpus.current_release, statuses, upcoming, policy_json, planned)


def following(corpus: Corpus, release: Version) -> Version:
    """The release after `release`: declared (dated or planned) or projected."""
    return lifecycle.following(sorted(corpus.releases), release)


def render(result: Report) -> str:
    out = []
    current = " (the current release)" if result.at == result.current else ""
    if result.at in result.planned:
        current = " (planned)"
    head = f"mtc lifecycle: at {result.asked}{current}"
    if result.asked != str(result.at):
        head += f", judged as {result.at} (QEMU's macros read MAJOR.MINOR only)"
    out.append(head)
    policy = result.policy
    if policy is None:
        out.append("  no lifecycle policy: only explicit deprecations apply")
    else:
        out.append(
            f"  policy ({policy['location']}): deprecated after {policy['deprecate-after']} "
            f"majors, deletion due after {policy['delete-after']}, {policy['removal-notice']} "
            f"releases of notice before a removal"
        )
        if policy["reason"]:
            out.append(f"  policy reason: {policy['reason']}")
        if policy["enforce-deletion"]:
            since = policy["enforce-deletion-since"]
            out.append(
                "  deletion enforced"
                + (f" from {since} on" if since else "")
                + ": machine types due for deletion are left out of the build"
                + ("" if policy["deletion-enforced"] else f" (not yet at {result.at})")
            )
    width = max((len(s.machine.name) for s in result.statuses), default=0)

    def since(version: Version | None) -> str:
        return f"since {version}" if version else "since ?"

    live = [s for s in result.statuses if not s.removed]
    deprecated = [s for s in live if s.deprecated]
    out.append(f"deprecated at {result.at}: {types(len(deprecated))}")
    for s in deprecated:
        why = "policy" if s.source == "policy" else json.dumps(s.reason, ensure_ascii=False)
        out.append(f"  {s.machine.name:<{width}}  {since(s.deprecated_since):<11}  {why}")
    due = [s for s in live if s.deletion_due]
    out.append(f"due for deletion at {result.at}: {types(len(due))}")
    for s in due:
        gone = "  (left out of the build)" if s.deleted else ""
        out.append(f"  {s.machine.name:<{width}}  {since(s.deletion_since)}{gone}")
    removed = [s for s in result.statuses if s.removed]
    if removed:
        out.append(f"removed by {result.at}: {types(len(removed))}")
        for s in removed:
            out.append(f"  {s.machine.name:<{width}}  removed in {s.removed}")
    out.append("next releases:")
    for step in result.steps:
        tag = " (projected)" if step["projected"] else " (planned)" if step["planned"] else ""
        parts = []
        for key, label in (
            ("new-machines", "new"),
            ("deprecated", "newly deprecated"),
            ("deletion-due", "newly due for deletion"),
            ("deleted", "left out of the build"),
            ("removed", "removed"),
        ):
            if step[key]:
                names = common.spans(step[key]) if key == "deleted" else ", ".join(step[key])
                parts.append(f"{label}: {names}")
        out.append(f"  {step['release']}{tag}: " + ("; ".join(parts) if parts else "no change"))
    return "\n".join(out) + "\n"


def types(count: int) -> str:
    return f"{count} machine type{'' if count == 1 else 's'}"


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="what is deprecated and due for deletion at a release, and what comes next",
        description="List the machine types deprecated (explicitly, or by QEMU's automatic "
        "policy) and due for deletion at a release, and what changes in the next releases. "
        "X.Y.Z with Z >= 50 is a development or release-candidate tree of the next "
        "release; QEMU judges it as X.Y.",
    )
    p.add_argument(
        "--at", metavar="X.Y", help="the release to look at (default: the newest declared one)"
    )
    p.add_argument(
        "--next", metavar="N", type=int, default=3, help="how many releases to look ahead (3)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    try:
        _, resolved = common.load_current(args)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    corpus = resolved.corpus
    if args.next < 0 or args.next > 50:
        raise common.usage_error("--next takes a number from 0 to 50")
    if args.at is None:
        if corpus.current_release is None:
            raise common.usage_error("machines/ declares no release; give --at X.Y")
        at, asked = corpus.current_release, str(corpus.current_release)
    else:
        at, asked = common.parse_version(args.at, "--at", (2, 3)).release, args.at
    result = report(corpus, at, asked, args.next)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(result))
    return 0
