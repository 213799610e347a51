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
import textwrap
from datetime import date
from pathlib import Path

from ..resolve import Resolved, ResolvedMachine
from . import abi_registry, common
from .abi_report import Cause, Finding, Report, loc_text, render
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


# ---- command line -----------------------------------------------------------------------


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="fail when a released machine type changed against a base revision or tree",
        description=textwrap.fill(
            "Compile the base (--base REV or --base-dir DIR) and the working tree, both "
            "with the --config build options, and report, per cause, every released "
            "machine type present on both sides whose effective compat properties or "
            "options differ, or that a property new in the QOM registry (or a changed "
            "default) reaches unpinned.  Exit 1 when any is an error.",
            78,
        ),
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
