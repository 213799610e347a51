"""Every named check, with its default severity: what -W, -Wno-, -E and
-Werror=NAME accept and what `mtc build --list-checks` prints.

A diagnostic that carries a check name can be silenced, demoted or promoted
by name; one without (a syntax error, an unknown release) is always an error.
"""

from __future__ import annotations

from .records import record


@record(frozen=True)
class Check:
    """A named check: its default severity and what it finds."""

    name: str
    severity: str  # the default: "error" or "warning"
    summary: str


CHECKS: dict[str, Check] = {
    check.name: check
    for check in (
        Check("release-order", "warning", "releases dated out of order"),
        Check("duplicate-entry", "warning", "one driver.property set twice, same value"),
        Check("chain-gap", "error", "a family's chain skips a release"),
        Check("completeness", "error", "an older machine does not apply its release's hw set"),
        Check("alias-unused", "warning", "a family declares an alias no machine carries"),
        Check("cpu-qemu-features", "warning", "a 'qemu' CPU model list outside the full set"),
        Check("unknown-driver", "error", "a compat entry names a QOM type QEMU does not have"),
        Check("unknown-property", "error", "a compat entry names a property its type lacks"),
        Check("bad-value", "error", "a value the property's QOM type does not accept"),
        Check(
            "abstract-not-optional",
            "error",
            "an entry on an abstract type only some subtypes accept, not marked optional",
        ),
        Check("redundant-entry", "warning", "an entry an earlier set already makes"),
        Check("dead-entry", "warning", "an entry that sets the property's own default"),
        Check(
            "host-dependent-default",
            "warning",
            "a host-dependent property on by default in machines that do not require its feature",
        ),
        Check(
            "host-dependent-unpinned",
            "error",
            "a machine older than a host-dependent property leaves it on",
        ),
        Check("monotone", "error", "a monotone option changes twice along a chain"),
        Check("unused-option", "warning", "an option declared and set by no family or machine"),
        Check(
            "abi-changed",
            "error",
            "abi-check: a released machine type's compat property or option changed",
        ),
        Check(
            "abi-unpinned",
            "error",
            "abi-check: a new property or changed default reaches a released machine type "
            "that does not pin it",
        ),
        Check(
            "c-description",
            "warning",
            "a family or compat scope with no C description: it gets no C",
        ),
        Check(
            "untranslatable",
            "error",
            "import-c: QEMU C with no DSL equivalent (a warning with --partial)",
        ),
    )
}


def suggest(name: str) -> str | None:
    """The known check closest to a misspelt one, for "did you mean"."""
    import difflib

    found = difflib.get_close_matches(name, CHECKS, n=1, cutoff=0.6)
    return found[0] if found else None


def listing() -> str:
    width = max(len(name) for name in CHECKS)
    lines = [f"{'check':<{width}}  default  what it reports"]
    for check in sorted(CHECKS.values(), key=lambda c: c.name):
        lines.append(f"{check.name:<{width}}  {check.severity:<7}  {check.summary}")
    return "\n".join(lines) + "\n"
