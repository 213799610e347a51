"""mtc abi-check: the ABI gate between two versions of machines/.

Every machine type that exists on both sides, is stable on both and whose
release is out (in the base) is a subject.  For each subject and target,
every effective compat property and option whose value changed, appeared or
disappeared is a finding, and so is every property the head's QOM registry
adds (or whose default it changes) that the subject does not pin.
abi_rules.py classifies each as an error (the machine type changed:
migration to or from the other side can break), a note (an entry removed
because QEMU no longer has its property) or info (what keeps the machine
type as it was); abi_registry.py reads the registries.  Findings are grouped
by cause: one compat entry, option assignment or registry change is one
headline, followed by the machine types it reaches.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..resolve import Resolved, ResolvedMachine
from ..versions import Version
from . import abi_registry, common
from .common import spans
from .abi_rules import Rules
from .abi_states import StateTable

NAME = "abi-check"

RULES = """\
what is compared (base: --base/--base-dir; new: the working tree, both built
with the --config options; R: the base's newest release that is out as of
--as-of, planned releases never are):
  a compat property or option whose value changed (or optional flag)   error
  an entry that now applies to a released machine type:
    a pin of a property (or type) the base's QOM registry lacks         info
    in a compat set for a release >= R, restating the base's default    info
      (pinning another value than the base's default: error)
    the new registry dates the property ('since') after the base        info
    no registry in the base and the base never sets it: presumed new
      (--strict: error)                                                 info
    anything else                                                       error
  an entry that no longer applies to a released machine type:
    the new registry shows the property gone from the type and every
    subtype                                                             note
    it set the property's declared (qom-type ... default) value         info
    in a set for a release >= R, whose new default is the pinned value  info
    no registry in the new tree and it sets the property nowhere:
      presumed gone (--strict: error)                                   note
    anything else (the registry has it, or cannot tell)                 error
  a property new in the new registry (on a type the base has), or whose
    default differs from the base's, that a released machine type does
    not pin (the message names the compat set the pin belongs in)       error
    declared 'property T.P not-guest-visible "reason"'                  exempt
  an option now set, unset or changed for a released machine type,
    whatever the cause (a new option's family default included)         error
    a pin set by a machine of a release >= R                            info
  alias, default, deprecation; an option's C field or type              info
An unversioned machine type (isapc) is compared entry by entry too, but a
registry change needs no pin there: QEMU gives it no compat sets.
Subjects: machine types on both sides, stable on both, whose release is out
as of --as-of (a release is out when it is dated in the base on or before
that day; default today), and every vendor machine type of the --overlay
directories (both sides load them: run after an upstream rebase beneath an
unchanged overlay, it lists each vendor type the upstream change altered,
with the upstream entry responsible).  New, removed, unstable and unreleased
types are listed, not checked.  Output: one headline per cause (the entry,
option or registry change responsible, at its location), then the machine
types it reaches.  Exit status: 0 no errors, 1 errors (or a side does not
compile), 2 usage errors."""

SEVERITIES = ("error", "note", "info")


@dataclass
class Finding:
    severity: str
    target: str | None
    machine: str | None
    kind: str  # property, option, registry, machine, declaration, target
    change: str  # changed, added, removed, new, default
    subject: str
    base: dict | None
    new: dict | None
    reason: str
    vendor: bool = False  # the machine type is a vendor overlay's
    location: str | None = None  # where the cause is: file:line:column
    side: str = "new"  # which tree `location` is in

    def to_json(self) -> dict:
        return {
            "vendor": self.vendor,
            "severity": self.severity,
            "target": self.target,
            "machine": self.machine,
            "kind": self.kind,
            "change": self.change,
            "subject": self.subject,
            "base": self.base,
            "new": self.new,
            "reason": self.reason,
        }

    def cause_key(self) -> tuple:
        return (
            self.severity,
            self.kind,
            self.change,
            self.subject,
            self.reason,
            json.dumps(self.base, sort_keys=True),
            json.dumps(self.new, sort_keys=True),
            self.location,
        )


@dataclass
class Cause:
    """One entry, option assignment or registry change, and every machine
    type (per target) whose finding it is."""

    first: Finding
    machines: dict[str, list[str]] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return self.first.severity

    @property
    def check(self) -> str | None:
        if self.severity != "error" or self.first.kind in ("declaration", "target"):
            return None
        return "abi-unpinned" if self.first.kind == "registry" else "abi-changed"

    @property
    def count(self) -> int:
        return len({name for names in self.machines.values() for name in names})

    def headline(self) -> str:
        f = self.first
        if f.kind == "registry":
            return f.reason
        what = {
            "changed": "changed",
            "added": "now set",
            "removed": "no longer set",
        }.get(f.change, f.change)
        if f.kind in ("property", "option"):
            before = json.dumps((f.base or {}).get("value"), ensure_ascii=False)
            after = json.dumps((f.new or {}).get("value"), ensure_ascii=False)
            values = {
                "changed": f" from {before} to {after}",
                "added": f" to {after}",
                "removed": f" (was {before})",
            }.get(f.change, "")
            return f"{f.subject} {what}{values} for released machine types: {f.reason}"
        return f"{f.subject} {what}: {f.reason}"

    def to_json(self) -> dict:
        f = self.first
        return {
            "severity": self.severity,
            "check": self.check,
            "kind": f.kind,
            "change": f.change,
            "subject": f.subject,
            "location": f.location,
            "in": f.side,
            "message": self.headline(),
            "base": f.base,
            "new": f.new,
            "machines": self.machines,
        }


@dataclass
class Report:
    base_label: str
    new_label: str
    as_of: date
    base_newest: Version | None
    released: Version | None
    config: dict[str, bool] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    compared: dict[str, list[str]] = field(default_factory=dict)
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    sources: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # side -> file -> lines
    base_prefix: str = ""  # how a base location is shown: "HEAD:" or "../old/"
    options: dict[str, bool] = field(default_factory=dict)  # --config given

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def causes(self) -> list[Cause]:
        """The findings grouped by cause, errors first, then by location."""
        found: dict[tuple, Cause] = {}
        for finding in self.findings:
            key = finding.cause_key()
            cause = found.get(key)
            if cause is None:
                cause = found[key] = Cause(finding)
            if finding.machine is not None:
                names = cause.machines.setdefault(finding.target or "", [])
                if finding.machine not in names:
                    names.append(finding.machine)
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(
            found.values(),
            key=lambda c: (order[c.severity], c.first.side, location_key(c.first.location)),
        )

    def to_json(self) -> dict:
        causes = self.causes()
        return {
            "base": self.base_label,
            "new": self.new_label,
            "as-of": self.as_of.isoformat(),
            "config": self.config,
            "base-newest-release": str(self.base_newest) if self.base_newest else None,
            "base-released": str(self.released) if self.released else None,
            "ok": self.ok,
            "summary": {
                **{s: self.count(s) for s in SEVERITIES},
                "causes": {s: sum(1 for c in causes if c.severity == s) for s in SEVERITIES},
                "compared": sum(len(v) for v in self.compared.values()),
            },
            "causes": [c.to_json() for c in causes],
            "findings": [f.to_json() for f in self.findings],
            "vendor-changed": sorted(
                {f.machine for f in self.findings if f.vendor and f.severity == "error"}
            ),
            "machines": {
                "compared": self.compared,
                "new": self.added,
                "removed": self.removed,
                "not-subjects": {
                    t: [{"name": n, "why": why} for n, why in items]
                    for t, items in self.skipped.items()
                },
            },
        }


def location_key(location: str | None) -> tuple:
    if not location:
        return ("", 0, 0)
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return (parts[0], int(parts[1]), int(parts[2]))
    return (location, 0, 0)


def loc_text(location) -> str:
    return f"{location.file}:{location.line}:{location.column}"


# ---- the walk -----------------------------------------------------------------------


class Checker:
    def __init__(self, base: Resolved, new: Resolved, as_of: date, strict: bool, root):
        self.base = base
        self.new = new
        self.rules = Rules(base, new, as_of, strict)
        self.root = root

    def run(self, base_label: str, new_label: str, targets: list[str] | None) -> Report:
        rules = self.rules
        report = Report(
            base_label,
            new_label,
            rules.as_of,
            rules.base_newest,
            rules.released,
            dict(self.new.config),
        )
        self.check_declarations(report)
        for target_name, base_target in self.base.targets.items():
            if targets is not None and target_name not in targets:
                continue
            new_target = self.new.targets.get(target_name)
            if new_target is None:
                report.findings.append(
                    Finding(
                        "info",
                        target_name,
                        None,
                        "target",
                        "removed",
                        target_name,
                        None,
                        None,
                        "the new tree has no such target",
                    )
                )
                continue
            base_by_name = {m.name: m for m in base_target.machines}
            new_by_name = {m.name: m for m in new_target.machines}
            report.added[target_name] = [n for n in new_by_name if n not in base_by_name]
            report.removed[target_name] = [n for n in base_by_name if n not in new_by_name]
            compared = report.compared.setdefault(target_name, [])
            skipped = report.skipped.setdefault(target_name, [])
            base_states = StateTable(base_target)
            new_states = StateTable(new_target)
            pairs = []
            for name, old in base_by_name.items():
                new = new_by_name.get(name)
                if new is None:
                    continue
                why = self.not_a_subject(old, new)
                if why:
                    skipped.append((name, why))
                    continue
                compared.append(name)
                pairs.append((old, new))
                first = len(report.findings)
                found = base_states.delta(old, new_states, new)
                if found:
                    self.compare_states(report, target_name, old, found)
                self.compare_flags(report, target_name, old, new)
                if old.vendor or new.vendor:
                    for finding in report.findings[first:]:
                        finding.vendor = True
            self.compare_registries(report, target_name, pairs, new_states)
        return report

    def not_a_subject(self, old: ResolvedMachine, new: ResolvedMachine) -> str | None:
        if old.machine.unstable is not None or new.machine.unstable is not None:
            return "unstable"
        if old.vendor or new.vendor:
            return None  # a vendor's machine type: released by the vendor, not by QEMU
        if old.machine.version is None:
            return None  # unversioned (isapc): always a subject
        release = old.machine.version.release
        released = self.rules.released
        if released is None or release > released:
            dated = self.base.corpus.releases.get(release)
            when = ""
            if dated is not None:
                when = " (planned)" if dated.planned else f" (dated {dated.date})"
            return f"release {release}{when} is not out as of {self.rules.as_of.isoformat()}"
        return None

    def compare_states(self, report: Report, target: str, old: ResolvedMachine, found):
        for (driver, prop), before, after in found.props:
            if not before.is_set:
                entry = representative(after)
                severity, reason = self.rules.added(target, entry)
                change, side = "added", "new"
            elif not after.is_set:
                entry = representative(before)
                severity, reason = self.rules.removed(target, entry)
                change, side = "removed", "base"
            else:
                entry = representative(after)
                severity, change, side = "error", "changed", "new"
                reason = f"{changed_what(before, after)} changed: the machine type changes"
            report.findings.append(
                Finding(
                    severity,
                    target,
                    old.name,
                    "property",
                    change,
                    f"{driver}.{prop}",
                    before.to_json("property"),
                    after.to_json("property"),
                    reason,
                    location=loc_text(entry.entry.location),
                    side=side,
                )
            )
        for name, before, after in found.options:
            old_option, new_option = representative(before), representative(after)
            severity, reason = self.rules.option(name, old_option, new_option)
            change = "added" if not before.is_set else "removed" if not after.is_set else "changed"
            shown = new_option if new_option is not None else old_option
            report.findings.append(
                Finding(
                    severity,
                    target,
                    old.name,
                    "option",
                    change,
                    f"option {name}",
                    before.to_json("option"),
                    after.to_json("option"),
                    reason,
                    location=loc_text(shown.assign.location),
                    side="new" if new_option is not None else "base",
                )
            )

    def compare_flags(self, report: Report, target: str, old, new) -> None:
        for subject, before, after in (
            ("alias", old.alias, new.alias),
            ("default", old.is_default, new.is_default),
            ("deprecated", old.deprecation_reason, new.deprecation_reason),
            ("deletion-due", old.deletion_due, new.deletion_due),
        ):
            if before != after:
                report.findings.append(
                    Finding(
                        "info",
                        target,
                        old.name,
                        "machine",
                        "changed",
                        subject,
                        {"value": before},
                        {"value": after},
                        "not part of the guest ABI",
                        location=loc_text(new.machine.location),
                    )
                )

    def compare_registries(self, report: Report, target: str, pairs, states) -> None:
        """Every property the new registry adds or changes, against each
        subject that does not pin it."""
        found = abi_registry.changes(self.base, self.new, target, self.root)
        if not found:
            return
        pins = abi_registry.Pins(self.new, target)
        for change in found:
            # An unversioned machine type (isapc) promises no ABI across
            # releases: QEMU gives it no compat sets to pin anything in.
            reached = [
                (old, new)
                for old, new in pairs
                if old.machine.version is not None
                and not pins.pinned(change, states.pinned_keys(new))
            ]
            if not reached:
                continue
            where = abi_registry.pin_set(self.new, change, [new for _, new in reached])
            if change.is_new:
                what = f'is new in {change.introduced} with default "{change.new}"'
                why = "released machine types that do not pin it get the new behaviour"
            else:
                what = f'changes its default from "{change.old}" to "{change.new}"'
                if change.introduced is not None:
                    what += f" in {change.introduced}"
                why = "released machine types that do not pin it change"
            if change.old is not None:
                pin = f'pin {change.subject} = "{change.old}" in {where}'
            else:
                pin = f"pin the old behaviour in {where}"
            reason = (
                f"{change.subject} {what}: {why}; {pin}, or declare it "
                f"'property {change.subject} not-guest-visible \"why\"'"
            )
            base = {"default": change.old, "type": change.qom_type}
            new = {"default": change.new, "type": change.qom_type, "pin-in": where}
            for old, _ in reached:
                report.findings.append(
                    Finding(
                        "error",
                        target,
                        old.name,
                        "registry",
                        "new" if change.is_new else "default",
                        change.subject,
                        base,
                        new,
                        reason,
                        vendor=old.vendor,
                        location=loc_text(change.location),
                    )
                )

    def check_declarations(self, report: Report) -> None:
        for name, old in self.base.corpus.options.items():
            new = self.new.corpus.options.get(name)
            if new is None:
                continue
            for what, before, after in (
                ("C field", old.c_lvalue, new.c_lvalue),
                ("type", old.type, new.type),
            ):
                if before != after:
                    report.findings.append(
                        Finding(
                            "info",
                            None,
                            None,
                            "declaration",
                            "changed",
                            f"option {name}",
                            {"value": before, "location": common.where(old.location)},
                            {"value": after, "location": common.where(new.location)},
                            f"the option's {what} changed; its values are compared as before",
                            location=loc_text(new.location),
                        )
                    )


def representative(state: common.State):
    """The entry that stands for a state: its winner, else its last guarded one."""
    if state.winner is not None:
        return state.winner
    return state.guarded[-1] if state.guarded else None


def changed_what(before: common.State, after: common.State) -> str:
    a, b = before.winner, after.winner
    if a is not None and b is not None and (a.value, a.optional) != (b.value, b.optional):
        return "value" if a.value != b.value else "optional flag"
    if (a is None) != (b is None):
        return "value on hosts where no guard holds"
    return "host-guarded value"


def check(
    base: Resolved,
    new: Resolved,
    *,
    as_of: date | None = None,
    strict: bool = False,
    base_label: str = "base",
    new_label: str = "new",
    targets: list[str] | None = None,
    root: Path | None = None,
) -> Report:
    """Compare base with new; root (the new tree's project root) lets
    registry changes point at the line of their registry file."""
    checker = Checker(base, new, as_of or date.today(), strict, root)
    return checker.run(base_label, new_label, targets)


# ---- output ------------------------------------------------------------------------


def side_text(side: dict | None) -> str:
    if side is None:
        return "(not set)"
    if "default" in side and "value" not in side:
        default = side.get("default")
        return "(no such property)" if default is None else f'default "{default}"'
    value = json.dumps(side.get("value"), ensure_ascii=False)
    if side.get("optional"):
        value += " optional"
    origin = [side[k] for k in ("set", "set-by") if side.get(k)]
    if side.get("release"):
        origin.append(f"release {side['release']}")
    if side.get("guard"):
        origin.append(f"guard {side['guard']}")
    if side.get("location"):
        origin.append(side["location"])
    return f"{value}  ({', '.join(origin)})" if origin else value


def reached_text(machines: dict[str, list[str]]) -> list[str]:
    """'pc-q35-2.4 .. pc-q35-4.2 (15) [x86_64, i386]', targets with the same
    machine types sharing a line."""
    by_names: dict[tuple, list[str]] = {}
    for target, names in machines.items():
        by_names.setdefault(tuple(names), []).append(target)
    return [f"{spans(list(names))} [{', '.join(targets)}]" for names, targets in by_names.items()]


def render_cause(cause: Cause, report: Report) -> list[str]:
    f = cause.first
    check = f" [-W{cause.check}]" if cause.check else ""
    where = f.location or "machines/"
    if f.side == "base":
        where = f"{report.base_prefix}{where}"  # HEAD:machines/hw.mtc:12:5, as git names it
    out = [f"{where}: {cause.severity}: {cause.headline()}{check}"]
    source = source_line(report, f)
    if source:
        out.append(f"    {source}")
    if f.kind in ("property", "option"):
        out.append(f"    base: {side_text(f.base)}")
        out.append(f"    new:  {side_text(f.new)}")
    if cause.machines:
        count = cause.count
        out.append(f"    reaches {count} machine type{'s' if count != 1 else ''}:")
        out += [f"      {line}" for line in reached_text(cause.machines)]
    return out


def source_line(report: Report, finding: Finding) -> str | None:
    if not finding.location:
        return None
    file, line, _ = location_key(finding.location)
    lines = report.sources.get(finding.side, {}).get(file)
    if lines is None or not 0 < line <= len(lines):
        return None
    return lines[line - 1].strip()


def render(report: Report, verbose: bool) -> str:
    out = [f"mtc abi-check: base {report.base_label} -> {report.new_label}"]
    released = str(report.released) if report.released else "none"
    out.append(
        f"  base: newest release {report.base_newest}, newest out as of "
        f"{report.as_of.isoformat()}: {released}"
    )
    if report.options:
        out.append(
            "  both built with "
            + ", ".join(f"{k}={'on' if v else 'off'}" for k, v in report.options.items())
        )
    for target, names in report.compared.items():
        counts = {s: 0 for s in SEVERITIES}
        for finding in report.findings:
            if finding.target == target and finding.machine is not None:
                counts[finding.severity] += 1
        out.append(
            f"target {target}: {len(names)} released machine types compared: "
            + ", ".join(plural(counts[s], s) for s in SEVERITIES)
        )
    shown = set(SEVERITIES) if verbose else {"error", "note"}
    causes = report.causes()
    for cause in causes:
        if cause.severity in shown:
            out += render_cause(cause, report)
    for title, table in (
        ("new machine types (not subjects)", report.added),
        ("removed machine types (not subjects)", report.removed),
    ):
        names = machine_list(table)
        if names:
            out.append(f"{title}: {', '.join(names)}")
    skipped: dict[str, list[str]] = {}
    for target, items in report.skipped.items():
        for name, why in items:
            skipped.setdefault(f"{name}: {why}", []).append(target)
    for text, targets in skipped.items():
        out.append(f"not a subject: {text} [{', '.join(targets)}]")
    out += vendor_lines(report)
    per = {s: sum(1 for c in causes if c.severity == s) for s in SEVERITIES}
    hidden = "" if verbose else " (-v shows info)"
    out.append(
        f"abi-check: {', '.join(plural(per[s], s) for s in SEVERITIES)}{hidden}; over all "
        f"machine types: {', '.join(plural(report.count(s), s) for s in SEVERITIES)}"
    )
    if per["error"]:
        affected: dict[str, list[str]] = {}
        for f in report.findings:
            if f.severity == "error" and f.machine is not None:
                names = affected.setdefault(f.target, [])
                if f.machine not in names:
                    names.append(f.machine)
        total = len({m for names in affected.values() for m in names})
        out.append(
            f"abi-check: FAILED: {total} released machine type{'s' if total != 1 else ''} "
            f"changed: {'; '.join(reached_text(affected))}"
        )
    return "\n".join(out) + "\n"


def plural(count: int, severity: str) -> str:
    return f"{count} {severity}{'s' if count != 1 and severity != 'info' else ''}"


def machine_list(by_target: dict[str, list[str]]) -> list[str]:
    """'name [x86_64, i386]' for each name, in first-seen order."""
    seen: dict[str, list[str]] = {}
    for target, names in by_target.items():
        for name in names:
            seen.setdefault(name, []).append(target)
    return [f"{name} [{', '.join(targets)}]" for name, targets in seen.items()]


def responsible(finding: Finding) -> str:
    """The entry behind a finding: the new side's, or the base's for a removal."""
    side = finding.new if finding.change != "removed" else finding.base
    side = side or finding.base or {}
    value = json.dumps(side.get("value", side.get("default")), ensure_ascii=False)
    origin = side.get("set") or side.get("set-by") or side.get("pin-in") or "?"
    where = f", {side['location']}" if side.get("location") else ""
    return f"{value}: entry {origin}{where}"


def vendor_lines(report: Report) -> list[str]:
    """Every vendor machine type the change altered, with the entries
    responsible: what a downstream maintainer checks after a rebase."""
    changed: dict[str, dict[str, list[Finding]]] = {}
    for finding in report.findings:
        if finding.vendor and finding.severity == "error" and finding.machine is not None:
            per_machine = changed.setdefault(finding.machine, {})
            per_machine.setdefault(finding.target, []).append(finding)
    if not changed:
        return []
    lines = [f"vendor machine types whose ABI the change altered: {len(changed)}"]
    for machine, by_target in changed.items():
        lines.append(f"  {machine} [{', '.join(by_target)}]:")
        seen = set()
        for findings in by_target.values():
            for f in findings:
                line = f"    {f.subject} {f.change} = {responsible(f)}"
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
    return lines


# ---- command line -----------------------------------------------------------------------


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="fail when a released machine type changed against a base revision or tree",
        description="Compile the base (--base REV or --base-dir DIR) and the working tree, "
        "both with the --config build options, and report, per cause, every released "
        "machine type present on both sides whose effective compat properties or options "
        "differ, or that a property new in the QOM registry (or a changed default) reaches "
        "unpinned.  Exit 1 when any is an error.",
        epilog=RULES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common.add_base_arguments(p, "compare with")
    p.add_argument("--target", metavar="T", help="only this target")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="also list info findings")
    p.add_argument(
        "--strict",
        action="store_true",
        help="presumptions made where a side has no QOM registry count as errors",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="which base releases are out: those dated on or before this day (default: today)",
    )


def read_sources(root: Path, corpus) -> dict[str, list[str]]:
    found = {}
    for shown in corpus.files:
        try:
            found[shown] = (root / shown).read_text(encoding="utf-8").split("\n")
        except OSError:
            continue
    return found


def run(args) -> int:
    from ..cli import parse_config

    if args.base is None and args.base_dir is None:
        raise common.usage_error("give the base to compare with: --base REV or --base-dir DIR")
    as_of = None
    if args.as_of is not None:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise common.usage_error(f"--as-of: not a date YYYY-MM-DD: '{args.as_of}'") from None
    try:
        project, new = common.load_current(args)
        if args.target is not None and args.target not in new.targets:
            raise common.usage_error(
                f"unknown target '{args.target}' (known: {', '.join(new.targets)})"
            )
        with common.base_tree(args, project) as (label, base, base_root):
            report = check(
                base,
                new,
                as_of=as_of,
                strict=args.strict,
                base_label=label,
                new_label=str(project.root) if args.root else "the working tree",
                targets=[args.target] if args.target else None,
                root=project.root,
            )
            report.options = parse_config(args.config)
            report.sources["base"] = read_sources(base_root, base.corpus)
            report.base_prefix = (
                f"{args.base}:" if args.base is not None else f"{args.base_dir.rstrip('/')}/"
            )
        report.sources["new"] = read_sources(project.root, new.corpus)
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    apply_overrides(report, args)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(report, args.verbose))
    return 0 if report.ok else 1


def apply_overrides(report: Report, args) -> None:
    """-Wno-abi-changed drops those errors, -Wabi-changed makes them notes."""
    from ..cli import diagnostics_for

    overrides = diagnostics_for(args).severity_overrides
    kept = []
    for finding in report.findings:
        check = Cause(finding).check
        severity = overrides.get(check) if check else None
        if severity == "ignore":
            continue
        if severity == "warning":
            finding.severity = "note"
        kept.append(finding)
    report.findings = kept
