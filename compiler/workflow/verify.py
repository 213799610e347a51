"""mtc verify: does a QEMU binary agree with machines/?

For each --qemu BINARY, mtc starts it (qmp.py: no KVM, no machine, nothing
of the host), reads its version, target and `query-machines` with
"compat-props": true (QEMU 9.1 and newer), and compares that with machines/
as of the binary's release (asof.py), so a tree that has opened newer
releases still verifies against older binaries.  Compared: the versioned
machine type names both ways (unversioned boards machines/ leaves out are
listed as not modelled), every query-machines member mtc models, and every
machine type's compat properties in application order.

Each difference is a diagnostic at the place in machines/ that produced the
value (for a missing entry, the compat set that should hold it), one per
cause with the machine types it reaches, and exit status 1.  The QOM
registry is not used: the binary is asked directly.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys

from ..records import field, record
from .. import asof, pipeline, qmp
from ..diagnostics import Diagnostic, Diagnostics
from ..model import HostFacts
from ..versions import Version
from . import common
from .common import spans
from .verify_compare import Comparison, compare_target

NAME = "verify"
DESCRIPTION = """\
Ask QEMU binaries what machine types they have and compare with machines/.
mtc starts each binary itself (-machine none -accel tcg -nodefaults -display
none -S: no KVM needed; QMP over a socket in a private temporary directory)
and reads its version, target and query-machines with "compat-props": true,
which QEMU 9.1 and newer answer.

machines/ is taken as of the binary's release: machine types, compat sets,
aliases, defaults and deprecation as that release had them, so a tree that
has opened newer releases still verifies against older binaries.  Compared:
the versioned machine type names both ways (unversioned boards machines/
leaves out are listed as not modelled), alias, is-default, cpu-max,
hotpluggable-cpus, numa-mem-supported, default-cpu-type, default-ram-id,
deprecated and acpi, and each machine type's compat properties in order.

Each difference is reported once, at the line of machines/ that produced the
value (for a missing entry, the compat set that should hold it), with the
machine types it reaches.  Checks: verify-machine, verify-field,
verify-value, verify-missing, verify-extra, verify-order (-W/-E/-Wno- apply).
The QOM registry is not used.

exit status: 0 every binary agrees, 1 a difference (or a binary that cannot
be asked, or machines/ does not compile), 2 usage errors."""
OLDEST = (9, 1)  # query-machines reports compat-props since QEMU 9.1


@record
class Asked:
    """One binary and what comparing it found."""

    binary: str  # as given on the command line
    name: str  # qemu-system-x86_64
    version: qmp.QemuVersion
    target: str
    release: str
    comparison: Comparison

    @property
    def qemu(self) -> str:
        return f"QEMU {self.version}'s {self.name}"

    def to_json(self) -> dict:
        c = self.comparison
        return {
            "binary": self.binary,
            "qemu": str(self.version),
            "package": self.version.package,
            "target": self.target,
            "as-of": self.release,
            "compared": c.compared,
            "not-modelled": c.not_modelled,
            "fields-checked": c.fields,
            "compat-props-checked": c.compat_props,
        }


@record
class Group:
    """One cause: a check, a location, a message, and where it shows."""

    check: str
    location: object
    message: str
    severity: str = "error"
    machines: dict[str, list[str]] = field(default_factory=dict)  # binary -> names


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        parents=[common_parser],
        help="compare a QEMU binary's machine types with machines/",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--qemu",
        metavar="BINARY",
        action="append",
        required=True,
        help="a qemu-system-* binary to ask; repeat for several",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    # --config (shared by every command): the binary's build options where
    # they differ from the declared defaults.


def run(args) -> int:
    from ..cli import diagnostics_for, parse_config, project_for

    project = project_for(args)
    diags = diagnostics_for(args)
    resolved = pipeline.compile_project(project, diags, parse_config(args.config), registry=False)
    if resolved is None:
        sys.stderr.write(diags.render())
        print(f"mtc {NAME}: error: machines/ does not compile", file=sys.stderr)
        return 1
    views: dict[Version, object] = {}
    asked: list[Asked] = []
    try:
        for binary in args.qemu:
            asked.append(ask(binary, resolved, views))
    except (qmp.QemuError, common.Failure, asof.AsOfError) as exc:
        print(f"mtc {NAME}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    groups = group(asked, diags)
    failed = any(g.severity == "error" for g in groups)
    if args.json:
        print(json.dumps(report_json(asked, groups, failed), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report_text(asked, groups))
        sys.stderr.write(render_groups(groups, diags))
        print(summary(asked, groups, failed))
    return 1 if failed else 0


def ask(binary: str, resolved, views: dict) -> Asked:
    with qmp.Qemu(binary) as qemu:
        version = qemu.version
        if not version.at_least(*OLDEST):
            raise common.Failure(
                f"{binary} is QEMU {version}: mtc verify needs QEMU {OLDEST[0]}.{OLDEST[1]} or "
                "newer, whose query-machines reports each machine type's compat properties"
            )
        target = qemu.command("query-target")["arch"]
        try:
            live = qemu.command("query-machines", **{"compat-props": True})
        except qmp.QmpError as exc:
            raise common.Failure(
                f"{binary} (QEMU {version}) cannot list compat properties: {exc.desc}"
            ) from None
    if target not in resolved.corpus.targets:
        known = ", ".join(resolved.corpus.targets) or "none"
        raise common.Failure(f"{binary} is target {target}, which machines/ lacks ({known})")
    release = asof.check_release(resolved.corpus, Version.parse(version.release))
    view = views.get(release)
    if view is None:
        view = views[release] = asof.resolve_at(resolved, release)
    resolved_target = view.targets[target]
    qemu_name = f"QEMU {version}"
    comparison = compare_target(resolved_target, view.corpus, live, qemu_name, this_host())
    return Asked(binary, qemu.name, version, target, str(release), comparison)


def this_host() -> HostFacts:
    """The host the binary runs on, for entries under a host guard: its OS
    and kernel, TCG, no named features."""
    kernel = re.match(r"(\d+)\.(\d+)", platform.release())
    return HostFacts(
        name="this host",
        os=platform.system().lower() or None,
        kernel=Version((int(kernel.group(1)), int(kernel.group(2)))) if kernel else None,
        accels=["tcg"],
    )


def group(asked: list[Asked], diags: Diagnostics) -> list[Group]:
    """One group per (check, location, message), in location order; a check
    turned off with -Wno- is left out, one made a warning is kept as such."""
    found: dict[tuple, Group] = {}
    for one in asked:
        for diff in one.comparison.differences:
            key = (diff.check, diff.location, diff.message)
            entry = found.get(key)
            if entry is None:
                severity = diags.severity_overrides.get(diff.check, "error")
                if severity == "ignore":
                    continue
                entry = found[key] = Group(diff.check, diff.location, diff.message, severity)
            entry.machines.setdefault(one.binary, []).append(diff.machine)
    return sorted(found.values(), key=lambda g: (g.location, g.message))


def render_groups(groups: list[Group], diags: Diagnostics) -> str:
    out = []
    for g in groups:
        out.append(diags.format(Diagnostic(g.location, g.severity, g.message, g.check)))
        for binary, names in g.machines.items():
            count = len(set(names))
            what = f"{count} machine type{'s' if count != 1 else ''} of {binary}"
            out.append(f"{g.location}: note: {what}: {spans(names)}")
    return "".join(line + "\n" for line in out)


def report_text(asked: list[Asked], groups: list[Group]) -> str:
    out = []
    for one in asked:
        c = one.comparison
        out.append(
            f"{one.binary}: QEMU {one.version.describe()}, target {one.target}, compared "
            f"with machines/ as of release {one.release}"
        )
        out.append(f"  compared {len(c.compared)} machine types: {spans(c.compared)}")
        out.append(f"  checked {c.fields} fields and {c.compat_props} compat properties")
        if c.not_modelled:
            out.append(f"  not modelled (unversioned): {', '.join(c.not_modelled)}")
    return "".join(line + "\n" for line in out)


def summary(asked: list[Asked], groups: list[Group], failed: bool) -> str:
    binaries = f"{len(asked)} binar{'y' if len(asked) == 1 else 'ies'}"
    if not groups:
        return f"mtc {NAME}: machines/ agrees with {binaries}"
    machines = {(b, m) for g in groups for b, names in g.machines.items() for m in names}
    verdict = "differ" if failed else "differ (warnings only)"
    return (
        f"mtc {NAME}: machines/ and {binaries} {verdict}: {len(groups)} "
        f"difference{'s' if len(groups) != 1 else ''} in {len(machines)} machine types"
    )


def report_json(asked: list[Asked], groups: list[Group], failed: bool) -> dict:
    return {
        "binaries": [one.to_json() for one in asked],
        "differences": [
            {
                "check": g.check,
                "severity": g.severity,
                "location": str(g.location),
                "message": g.message,
                "machines": g.machines,
            }
            for g in groups
        ],
        "ok": not failed,
    }
