"""QEMU's versioned machine life cycle, computed from version numbers.

include/hw/boards.h (QEMU 9.1+): for a QEMU MAJOR.MINOR, machine major.minor
is past a cutoff of N majors when MAJOR - major > N, or == N and
minor <= MINOR.  Deprecation uses N = 3, deletion N = 6.  The micro number of
a bugfix machine (pc-q35-4.0.1) is ignored, as the macros ignore it.
"""

from __future__ import annotations

from .model import Lifecycle, Machine
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


def deprecation_reason(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool = False
) -> str | None:
    """The reason a machine is deprecated at release `at`, or None."""
    if machine.deprecated is not None:
        return machine.deprecated.reason
    if not automatic(machine, policy, at, manual):
        return None
    if policy.deprecate_after is not None and is_expired(
        policy.deprecate_after, machine.version, at
    ):
        return policy.reason or "deprecated"
    return None


def deletion_due(
    machine: Machine, policy: Lifecycle | None, at: Version | None, manual: bool = False
) -> bool:
    if not automatic(machine, policy, at, manual) or policy.delete_after is None:
        return False
    return is_expired(policy.delete_after, machine.version, at)


def first_expired(cutoff: int, machine: Version, releases) -> Version | None:
    """The first of `releases` (not older than the machine) at which it is past
    the cutoff: when the policy deprecates it (or makes its deletion due)."""
    for release in sorted(releases):
        if release >= machine.release and is_expired(cutoff, machine, release):
            return release
    return None
