"""abi-check's report: findings, grouped by cause, as text and JSON.

A Finding is one thing that differs for one machine type of one target; a
Cause is the findings one compat entry, option assignment or registry change
produces, which the text output shows once, at its location (a base tree's
line as HEAD:machines/hw.mtc:12:5), followed by the machine types it reaches.
"""

from __future__ import annotations

import json
from datetime import date

from ..records import field, record
from ..versions import Version
from .common import spans

SEVERITIES = ("error", "note", "info")


@record
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


@record
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


@record
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
