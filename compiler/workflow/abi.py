"""mtc abi-check: the ABI gate between two versions of machines/.

Every machine type that exists on both sides, is stable on both and whose
release is out (in the base) is a subject.  For each subject and target, every
effective compat property and option whose value changed, appeared or
disappeared is a finding, classified as an error (the machine type changed:
migration to or from the other side can break), a note (an entry removed
because its property no longer exists) or info (a change QEMU makes on
purpose to keep old machines stable).  The rules are in RULES below, which
'mtc abi-check --help' prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import date

from .. import qomcheck
from ..resolve import Resolved, ResolvedMachine, expand_driver
from ..versions import Version
from . import common

NAME = "abi-check"

RULES = """\
classification (base: --base/--base-dir; new: the working tree; R: the base's
newest release that is out as of --as-of; B: the base's newest release):
  a compat property or option whose value changed (or optional flag)   error
  an entry that now applies to an old machine:
    it comes from a compat set for a release >= R: it pins a default
    that changed after R, as QEMU does                                  info
    the new QOM registry says the property is newer ('since') than B    info
    the base tree never sets the property and its QOM registry lacks
    it (no registry in the base: presumed new; --strict: error)         info
    anything else                                                       error
  an entry that no longer applies to an old machine:
    it came from a compat set for a release >= R (an unreleased pin)    info
    the new tree's QOM registry lacks the property                      note
    the registry has it and is as new as the tree                       error
    the new tree sets the property nowhere (no registry, or one older
    than the tree: presumed gone; --strict: error)                      note
    anything else                                                       error
  an option now set: by a machine for a release >= R, or declared by
    the new tree only                                                   info
  an option no longer set: the new tree does not declare it             note
    it was set by a base machine for a release >= R (an unreleased pin) info
  any other option change                                               error
  alias, default, deprecation; an option's C field or type              info
Subjects: machine types on both sides, stable on both, whose release is out
as of --as-of (a release is out when its date in the base is not after it;
default today), and every vendor machine type of the --overlay directories
(both sides load them: run after an upstream rebase beneath an unchanged
overlay, it lists each vendor type the upstream change altered, with the
upstream entry responsible).  New, removed, unstable and unreleased types are listed, not
checked.  Exit status: 0 no errors, 1 errors (or a side does not compile), 2
usage errors."""

SEVERITIES = ("error", "note", "info")


@dataclass
class Finding:
    severity: str
    target: str | None
    machine: str | None
    kind: str  # property, option, machine, declaration
    change: str  # changed, added, removed
    subject: str
    base: dict | None
    new: dict | None
    reason: str
    vendor: bool = False  # the machine type is a vendor overlay's

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


@dataclass
class Report:
    base_label: str
    new_label: str
    as_of: date
    base_newest: Version | None
    released: Version | None
    findings: list[Finding] = field(default_factory=list)
    compared: dict[str, list[str]] = field(default_factory=dict)
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def to_json(self) -> dict:
        return {
            "base": self.base_label,
            "new": self.new_label,
            "as-of": self.as_of.isoformat(),
            "base-newest-release": str(self.base_newest) if self.base_newest else None,
            "base-released": str(self.released) if self.released else None,
            "ok": self.ok,
            "summary": {
                **{s: self.count(s) for s in SEVERITIES},
                "compared": sum(len(v) for v in self.compared.values()),
            },
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


def is_removed(machine: ResolvedMachine, resolved: Resolved) -> bool:
    removed = machine.machine.removed
    current = resolved.corpus.current_release
    return removed is not None and current is not None and removed[0].release <= current


class Checker:
    def __init__(self, base: Resolved, new: Resolved, as_of: date, strict: bool = False):
        self.base = base
        self.new = new
        self.as_of = as_of
        self.strict = strict
        self.base_newest = base.corpus.current_release
        self.new_newest = new.corpus.current_release
        out = [
            version
            for version, release in base.corpus.releases.items()
            if date.fromisoformat(release.date) <= as_of
        ]
        self.released = max(out) if out else None
        self._names: dict[tuple[int, str], set[tuple[str, str]]] = {}
        self.new_machines = {m.name: m for m in new.corpus.machines if m.name}
        self.base_machines = {m.name: m for m in base.corpus.machines if m.name}

    # -- what each tree knows ---------------------------------------------------
    def names(self, resolved: Resolved, target_name: str) -> set[tuple[str, str]]:
        """(driver, property) pairs a tree mentions: compat entries and qom-type
        declarations, with drivers expanded for the target."""
        key = (id(resolved), target_name)
        found = self._names.get(key)
        if found is None:
            target = resolved.targets[target_name].target
            found = {
                (expand_driver(entry.driver, target), entry.property)
                for compat in resolved.corpus.compat_sets.values()
                for entry in compat.entries
            }
            for decl in getattr(resolved.corpus, "qom_decls", []):
                for prop in decl.properties:
                    found.add((expand_driver(decl.name, target), prop.name))
            self._names[key] = found
        return found

    @staticmethod
    def lookup(resolved: Resolved, target_name: str, raw_driver: str, prop: str):
        """(registry, QomProperty or None); (None, None) without a registry."""
        registry = qomcheck.registry_for(resolved.corpus, target_name)
        if registry is None:
            return None, None
        target = resolved.corpus.targets[target_name]
        return registry, registry.find_property(qomcheck.expand(raw_driver, target), prop)

    def is_open(self, version: Version | None) -> bool:
        """A compat set (or machine) of this release pins defaults the base
        has not released yet: release >= the base's newest released release."""
        return version is not None and self.released is not None and version >= self.released

    def presumed(self, severity: str) -> str:
        return "error" if self.strict else severity

    # -- classification -----------------------------------------------------------
    def classify_added(self, target: str, prop) -> tuple[str, str]:
        version = prop.compat.version
        if self.is_open(version):
            return "info", (
                f"pinned by {prop.provenance.set_name} (release {version} >= {self.released}, "
                "the base's newest released release): keeps the base's default"
            )
        registry, found = self.lookup(self.new, target, prop.entry.driver, prop.property)
        if found is not None and found.since and self.base_newest is not None:
            since = Version.parse(found.since)
            if since > self.base_newest:
                return "info", (
                    f"the property was introduced in {since} (QOM registry), after the base's "
                    f"newest release {self.base_newest}: old machines keep the old behaviour"
                )
        if (prop.driver, prop.property) not in self.names(self.base, target):
            base_registry, base_found = self.lookup(
                self.base, target, prop.entry.driver, prop.property
            )
            if base_registry is not None and base_found is None:
                return "info", (
                    "the base does not know the property (not in its QOM registry): "
                    "introduced after the base, pinned for old machines"
                )
            if base_registry is None:
                return self.presumed("info"), (
                    "the base tree never sets the property and has no QOM registry: presumed "
                    "introduced after the base, pinned for old machines"
                )
        return (
            "error",
            "the property already existed in the base: the entry changes the machine type",
        )

    def classify_removed(self, target: str, prop) -> tuple[str, str]:
        if self.is_open(prop.compat.version):
            return "info", (
                f"{prop.provenance.set_name} is still open (release {prop.compat.version}, not "
                f"older than the base's newest released release {self.released}): an unreleased "
                "pin withdrawn"
            )
        registry, found = self.lookup(self.new, target, prop.entry.driver, prop.property)
        if registry is not None and found is None:
            return "note", "the property no longer exists: the new tree's QOM registry lacks it"
        if found is not None and self.registry_is_current(registry, found):
            return "error", "the property still exists (QOM registry): the machine type changes"
        if (prop.driver, prop.property) not in self.names(self.new, target):
            why = "the new tree sets it nowhere"
            if registry is not None:
                why += (
                    f" (its QOM registry is from {registry.release}, older than {self.new_newest})"
                )
            return self.presumed("note"), f"the property no longer exists: {why}"
        return "error", (
            "the new tree still sets the property elsewhere, so it exists: the machine type changes"
        )

    def registry_is_current(self, registry, found) -> bool:
        if found.since:
            return True  # declared by the tree itself
        release = getattr(registry, "release", None)
        try:
            return release is not None and Version.parse(release) >= self.new_newest
        except ValueError:
            return False

    def setter_version(self, set_by: str, machines: dict) -> Version | None:
        machine = machines.get(set_by)
        return machine.version if machine is not None else None

    def classify_option(self, name: str, old, new) -> tuple[str, str]:
        if old is None:
            pinned = self.setter_version(new.set_by, self.new_machines)
            if self.is_open(pinned):
                return "info", (
                    f"pinned by {new.set_by} (release {pinned.release} >= {self.released}, "
                    "the base's newest released release): keeps the base's default"
                )
            if name not in self.base.corpus.options:
                return (
                    "info",
                    "the option is declared only by the new tree: introduced after the base",
                )
            return "error", "the option is now set: the machine type changes"
        if new is None:
            if name not in self.new.corpus.options:
                return "note", "the option no longer exists: the new tree does not declare it"
            if self.is_open(self.setter_version(old.set_by, self.base_machines)):
                return (
                    "info",
                    f"{old.set_by} is not released yet in the base: an unreleased pin withdrawn",
                )
            return "error", "the option is no longer set: the machine type changes"
        return "error", "value changed: the machine type changes"

    # -- the walk -----------------------------------------------------------------
    def run(self, base_label: str, new_label: str, targets: list[str] | None) -> Report:
        report = Report(base_label, new_label, self.as_of, self.base_newest, self.released)
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
            base_by_name = {m.name: m for m in base_target.machines if not is_removed(m, self.base)}
            new_by_name = {m.name: m for m in new_target.machines if not is_removed(m, self.new)}
            report.added[target_name] = [n for n in new_by_name if n not in base_by_name]
            report.removed[target_name] = [n for n in base_by_name if n not in new_by_name]
            compared = report.compared.setdefault(target_name, [])
            skipped = report.skipped.setdefault(target_name, [])
            for name, old in base_by_name.items():
                new = new_by_name.get(name)
                if new is None:
                    continue
                why = self.not_a_subject(old, new)
                if why:
                    skipped.append((name, why))
                    continue
                compared.append(name)
                self.compare(report, target_name, old, new)
        return report

    def not_a_subject(self, old: ResolvedMachine, new: ResolvedMachine) -> str | None:
        if old.machine.unstable is not None or new.machine.unstable is not None:
            return "unstable"
        if old.vendor or new.vendor:
            return None  # a vendor's machine type: released by the vendor, not by QEMU
        if old.machine.version is None:
            return None  # unversioned (isapc): always a subject
        release = old.machine.version.release
        if self.released is None or release > self.released:
            dated = self.base.corpus.releases.get(release)
            when = f" (dated {dated.date})" if dated else ""
            return f"release {release}{when} is not out as of {self.as_of.isoformat()}"
        return None

    def compare(self, report: Report, target: str, old: ResolvedMachine, new: ResolvedMachine):
        first = len(report.findings)
        self.compare_states(report, target, old, new)
        if old.vendor or new.vendor:
            for finding in report.findings[first:]:
                finding.vendor = True

    def compare_states(self, report: Report, target: str, old: ResolvedMachine, new):
        found = common.delta(old, new)
        for (driver, prop), before, after in found.props:
            if not before.is_set:
                severity, reason = self.classify_added(target, representative(after))
                change = "added"
            elif not after.is_set:
                severity, reason = self.classify_removed(target, representative(before))
                change = "removed"
            else:
                severity, change = "error", "changed"
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
                )
            )
        for name, before, after in found.options:
            severity, reason = self.classify_option(
                name, representative(before), representative(after)
            )
            change = "added" if not before.is_set else "removed" if not after.is_set else "changed"
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
                )
            )
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
) -> Report:
    checker = Checker(base, new, as_of or date.today(), strict)
    return checker.run(base_label, new_label, targets)


# ---- output ------------------------------------------------------------------------


def side_text(side: dict | None) -> str:
    if side is None:
        return "(not set)"
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


def machine_list(by_target: dict[str, list[str]]) -> list[str]:
    """'name [x86_64, i386]' for each name, in first-seen order."""
    seen: dict[str, list[str]] = {}
    for target, names in by_target.items():
        for name in names:
            seen.setdefault(name, []).append(target)
    return [f"{name} [{', '.join(targets)}]" for name, targets in seen.items()]


def render(report: Report, verbose: bool) -> str:
    out = [f"mtc abi-check: base {report.base_label} -> {report.new_label}"]
    released = str(report.released) if report.released else "none"
    out.append(
        f"  base: newest release {report.base_newest}, newest out as of "
        f"{report.as_of.isoformat()}: {released}"
    )
    shown = set(SEVERITIES) if verbose else {"error", "note"}
    general = [f for f in report.findings if f.machine is None and f.severity in shown]
    for finding in general:
        out.append(f"  {finding.severity}: {finding.subject}: {finding.reason}")
        out.append(f"    base: {side_text(finding.base)}")
        out.append(f"    new:  {side_text(finding.new)}")
    for target, names in report.compared.items():
        counts = {s: 0 for s in SEVERITIES}
        per_machine: dict[str, list[Finding]] = {}
        for finding in report.findings:
            if finding.target == target and finding.machine is not None:
                counts[finding.severity] += 1
                if finding.severity in shown:
                    per_machine.setdefault(finding.machine, []).append(finding)
        out.append(
            f"target {target}: {len(names)} machine types compared: "
            + ", ".join(
                f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
                for s in SEVERITIES
            )
        )
        for machine in names:
            findings = per_machine.get(machine)
            if not findings:
                continue
            out.append(f"  {machine}:")
            for f in findings:
                out.append(f"    {f.severity}: {f.subject} {f.change}: {f.reason}")
                out.append(f"      base: {side_text(f.base)}")
                out.append(f"      new:  {side_text(f.new)}")
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
    errors = report.count("error")
    hidden = "" if verbose else " (-v shows info)"
    out.append(
        f"abi-check: {errors} error{'s' if errors != 1 else ''}, {report.count('note')} notes, "
        f"{report.count('info')} info{hidden}"
    )
    if errors:
        affected: dict[str, list[str]] = {}
        for f in report.findings:
            if f.severity == "error" and f.machine is not None:
                targets = affected.setdefault(f.machine, [])
                if f.target not in targets:
                    targets.append(f.target)
        out.append(
            f"abi-check: FAILED: {len(affected)} machine type{'s' if len(affected) != 1 else ''} "
            "changed: " + ", ".join(f"{m} [{', '.join(t)}]" for m, t in affected.items())
        )
    return "\n".join(out) + "\n"


def responsible(finding: Finding) -> str:
    """The entry behind a finding: the new side's, or the base's for a removal."""
    side = finding.new if finding.change != "removed" else finding.base
    side = side or finding.base or {}
    value = json.dumps(side.get("value"), ensure_ascii=False)
    origin = side.get("set") or side.get("set-by") or "?"
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
        "and list, per target and per released machine type present on both sides, every "
        "effective compat property and option whose value changed, appeared or "
        "disappeared, with provenance on both sides.  Exit 1 when any is an error.",
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
        help="presumptions made without a QOM registry count as errors",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="which base releases are out: those dated on or before this day (default: today)",
    )


def run(args) -> int:
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
        with common.base_tree(args, project) as (label, base):
            report = check(
                base,
                new,
                as_of=as_of,
                strict=args.strict,
                base_label=label,
                new_label=str(project.root) if args.root else "the working tree",
                targets=[args.target] if args.target else None,
            )
    except common.Failure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render(report, args.verbose))
    return 0 if report.ok else 1
