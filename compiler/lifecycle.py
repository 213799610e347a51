"""QEMU's versioned machine life cycle, computed from version numbers.

include/hw/boards.h (QEMU 9.1+): for a QEMU MAJOR.MINOR, machine major.minor
is past a cutoff of N majors when MAJOR - major > N, or == N and
minor <= MINOR.  Deprecation uses N = 3, deletion N = 6.  The micro number of
a bugfix machine (pc-q35-4.0.1) is ignored, as the macros ignore it.

A machine type due for deletion is left out of the build only where the
policy enforces deletion: QEMU 9.1 to 10.0 gated MACHINE_VER_DELETION off
(unless QEMU_DELETE_MACHINES was set), 10.1 dropped the gate.  A machine
type explicitly 'removed X.Y' is gone from X.Y on, as when QEMU deletes its
code.

An explicit deprecation ('deprecated [since X.Y] "reason"') is an assignment
of m->deprecation_reason in the machine's options function, so the older
machines of its chain, whose options functions call it, inherit it; QEMU's
MACHINE_VER_DEPRECATION runs after the options function and replaces it by
the policy's reason once the policy deprecates the machine.
"""

from __future__ import annotations

from .model import Deprecation, Lifecycle, Machine
from .versions import Version


def is_expired(cutoff: int, machine: Version, at: Version) -> bool:
    majors = at.major - machine.major
    return majors > cutoff or (majors == cutoff and at.minor - machine.minor >= 0)


def automatic(machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool):
    """Whether QEMU's computed policy applies to this machine at all."""
    return not (
        manual
        or machine.version is None
        or machine.unstable is not None
        or policy is None
        or at is None
    )


def own_deprecation(machine: Machine, at: Version | None) -> Deprecation | None:
    """The machine's own explicit deprecation, if in effect at release `at`."""
    dep = machine.deprecated
    if dep is None:
        return None
    if dep.since is not None and (at is None or dep.since.release > at.release):
        return None
    return dep


def explicit_deprecation(machine: Machine, at: Version | None) -> Deprecation | None:
    """The explicit deprecation in effect: the machine's own, else the
    nearest newer machine's of its chain (its options function calls theirs)."""
    for member in reversed(machine.chain()):
        dep = own_deprecation(member, at)
        if dep is not None:
            return dep
    return None


def policy_deprecates(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool
) -> bool:
    return (
        automatic(machine, policy, at, manual)
        and policy.deprecate_after is not None
        and is_expired(policy.deprecate_after, machine.version, at)
    )


def deprecation_reason(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool = False
) -> str | None:
    """The reason a machine is deprecated at release `at`, or None."""
    if policy_deprecates(machine, policy, at, manual):
        return policy.reason or "deprecated"
    dep = explicit_deprecation(machine, at)
    return dep.reason if dep is not None else None


def deletion_due(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool = False
) -> bool:
    if not automatic(machine, policy, at, manual) or policy.delete_after is None:
        return False
    return is_expired(policy.delete_after, machine.version, at)


def absent_reason(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool = False
) -> str | None:
    """Why the machine type is not part of release `at`'s binary, or None:
    removed by then, or due for deletion where the policy enforces it."""
    if machine.removed is not None and at is not None:
        removed = machine.removed[0].release
        if removed <= at.release:
            return f"removed in {removed}"
    if deletion_due(machine, policy, at, manual) and policy.enforces_deletion(at):
        return f"due for deletion at {at} (the lifecycle policy enforces deletion)"
    return None


def first_expired(cutoff: int, machine: Version, releases) -> Version | None:
    """The first of `releases` (not older than the machine) at which it is past
    the cutoff: when the policy deprecates it (or makes its deletion due)."""
    for release in sorted(releases):
        if release >= machine.release and is_expired(cutoff, machine, release):
            return release
    return None


# ---- release numbering -------------------------------------------------------------


def next_release(version: Version) -> Version:
    """QEMU's numbering since 4.0: three releases a year, the major bumped yearly."""
    if version.minor < 2:
        return Version((version.major, version.minor + 1))
    return Version((version.major + 1, 0))


def following(declared, release: Version) -> Version:
    """The release after `release`: the next declared one, unless QEMU's
    numbering puts one before it that is not declared yet."""
    later = [r for r in declared if r > release]
    projected = next_release(release)
    return min(later + [projected]) if later else projected


def releases_after(declared, release: Version, count: int) -> list[Version]:
    """The `count` releases after `release`, declared or projected."""
    found = []
    for _ in range(count):
        release = following(declared, release)
        found.append(release)
    return found
