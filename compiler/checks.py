"""Stage 3: resolve names and check the model (DESIGN.md section 3).

Every problem is reported to Diagnostics with its location; nothing raises.
Name resolution links each family to its base and each machine to its parent
(the next newer version of its family unless it says `inherits`).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from datetime import date

from . import lifecycle, numbers, values
from .diagnostics import Diagnostics, Location
from .model import BUILD_ATOMS, MACRO_RE, Corpus, Machine, OptionDecl, SetRef, gen_ga_text
from .versions import Version

# An option's C lvalue: a member of the machine class or of a subclass,
# root->field, then .field or [INDEX] (a C constant or a decimal), nothing
# else: the C backend pastes it into an assignment.
C_LVALUE_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*->[A-Za-z_][A-Za-z0-9_]*"
    r"(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:[A-Za-z_][A-Za-z0-9_]*|0|[1-9][0-9]*)\])*"
)
# A target's binary: a file name in /usr/bin (libvirt's <emulator>).
BINARY_RE = re.compile(r"[!-.0-~]+")

# QEMU's accelerators and meson's host_os names.
ACCELERATORS = ("kvm", "tcg", "hvf", "whpx", "xen", "nvmm")
HOST_OSES = ("linux", "darwin", "windows", "freebsd", "netbsd", "openbsd", "sunos")


def did_you_mean(name: str, candidates) -> str:
    import difflib  # only for a misspelt name

    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


class Checker:
    def __init__(self, corpus: Corpus, diags: Diagnostics):
        self.corpus = corpus
        self.diags = diags

    def run(self) -> None:
        self.check_releases()
        self.check_targets()
        self.check_options()
        self.check_compat_sets()
        self.check_families()
        self.link_machines()
        self.check_machines()
        self.check_chains()
        self.check_completeness()
        self.check_defaults_and_aliases()
        self.check_lifecycle()
        self.check_lifecycle_policy()
        self.check_platforms()
        self.check_guards()
        self.check_cpu_models()

    # -- platforms and guards -----------------------------------------------------
    def check_feature(self, name: str, location: Location) -> None:
        if name not in self.corpus.features:
            self.diags.error(
                location,
                f"unknown host feature '{name}'" + did_you_mean(name, self.corpus.features),
            )

    def check_platforms(self) -> None:
        platforms = self.corpus.platforms
        for platform in platforms.values():
            if platform.extends is not None:
                base = platforms.get(platform.extends)
                if base is None:
                    self.diags.error(
                        platform.extends_location,
                        f"unknown platform '{platform.extends}'"
                        + did_you_mean(platform.extends, platforms),
                    )
                else:
                    platform.base = base
            for feature, location in platform.features:
                self.check_feature(feature, location)
            for accel in platform.accels:
                if accel not in ACCELERATORS:
                    self.diags.error(
                        platform.location,
                        f"unknown accelerator '{accel}' (known: {', '.join(ACCELERATORS)})",
                    )
            if platform.os is not None and platform.os not in HOST_OSES:
                self.diags.error(
                    platform.location,
                    f"unknown host OS '{platform.os}' (known: {', '.join(HOST_OSES)})",
                )
        for platform in platforms.values():
            seen = []
            node = platform
            while node is not None and node not in seen:
                seen.append(node)
                node = node.base
            if node is platform:
                self.diags.error(platform.location, f"platform {platform.name} extends itself")
                platform.base = None
        for platform in platforms.values():
            if platform.effective().os is None:
                self.diags.error(platform.location, f"platform {platform.name} has no os")
        for prop in self.corpus.host_properties:
            self.check_feature(prop.feature, prop.location)

    def check_guards(self) -> None:
        for family in self.corpus.families.values():
            self.check_guard(family.guard, f"family {family.name}", build_only=True)
            for assign in family.options:
                self.check_guard(assign.guard, "an option")
        for machine in self.corpus.machines:
            self.check_guard(machine.guard, f"machine {machine.name}", build_only=True)
            for assign in machine.options:
                self.check_guard(assign.guard, "an option")
        for compat in self.corpus.compat_sets.values():
            for entry in compat.entries:
                self.check_guard(entry.guard, "a compat entry")

    def check_guard(self, guard, what: str, build_only: bool = False) -> None:
        if guard is None:
            return
        atoms = list(guard.atoms())
        kinds = {atom.kind in BUILD_ATOMS for atom in atoms}
        if len(kinds) > 1:
            self.diags.error(
                guard.location,
                "a guard is either about the build (config, target) or about the host "
                "(host.os, host.kernel, accel, feature), not both",
            )
        elif build_only and kinds == {False}:
            self.diags.error(
                guard.location,
                f"{what} can only have a build-time guard (config.X, target == T): "
                "whether a machine exists must not depend on the host",
            )
        for atom in atoms:
            if atom.kind == "config" and atom.value not in self.corpus.config:
                self.diags.error(
                    atom.location,
                    f"unknown build option config.{atom.value} (declare it with "
                    f"'config {atom.value} default on|off')"
                    + did_you_mean(atom.value, self.corpus.config),
                )
            elif atom.kind == "target" and atom.value not in self.corpus.targets:
                self.diags.error(
                    atom.location,
                    f"unknown target '{atom.value}'"
                    + did_you_mean(atom.value, self.corpus.targets),
                )
            elif atom.kind == "feature":
                self.check_feature(atom.value, atom.location)
            elif atom.kind == "accel" and atom.value not in ACCELERATORS:
                self.diags.error(
                    atom.location,
                    f"unknown accelerator '{atom.value}' (known: {', '.join(ACCELERATORS)})",
                )
            elif atom.kind == "os" and atom.value not in HOST_OSES:
                self.diags.error(
                    atom.location,
                    f"unknown host OS '{atom.value}' (known: {', '.join(HOST_OSES)})",
                )

    # -- releases, targets, options ---------------------------------------------
    def check_releases(self) -> None:
        previous = None
        planned = None  # the first planned release, in version order
        for version in sorted(self.corpus.releases):
            release = self.corpus.releases[version]
            if release.planned:
                planned = planned or release
                continue
            if planned is not None:
                self.diags.error(
                    planned.location,
                    f"release {planned.version} is planned, but release {version} after it "
                    "is dated: date it (a planned release comes after every dated one)",
                )
                planned = None
            try:
                day = date.fromisoformat(release.date)
            except ValueError:
                self.diags.error(
                    release.location, f"release {version}: invalid date {release.date}"
                )
                continue
            if previous is not None and day <= previous[1]:
                self.diags.warning(
                    release.location,
                    f"release {version} is dated {release.date}, not after "
                    f"release {previous[0]} ({previous[1]})",
                    check="release-order",
                )
            previous = (version, day)

    def check_targets(self) -> None:
        folded: dict[str, str] = {}
        for target in self.corpus.targets.values():
            other = folded.setdefault(target.name.casefold(), target.name)
            if other != target.name:
                self.diags.error(
                    target.location,
                    f"targets {other} and {target.name} differ only in case: their outputs "
                    f"(json/{target.name}.json, ...) would be one file where case does not count",
                )
            for what, value in (("binary", target.binary), ("arch", target.arch)):
                if not value:
                    self.diags.error(target.location, f"target {target.name} has no {what}")
            if target.binary and not BINARY_RE.fullmatch(target.binary):
                self.diags.error(
                    target.location,
                    f"target {target.name}: binary {target.binary!r} is not a file name "
                    "(printable ASCII, no '/' and no spaces, as qemu-system-x86_64)",
                )

    def check_option_assign(self, assign, where: str) -> None:
        decl = self.corpus.options.get(assign.name)
        if decl is None:
            self.diags.error(
                assign.location,
                f"unknown option '{assign.name}' in {where}"
                + did_you_mean(assign.name, self.corpus.options),
            )
            return
        problem = values.type_error(decl, assign.value, self.corpus.consts)
        if problem:
            self.diags.error(assign.value.location, problem)
        if assign.value.kind == "typeref":
            for macro in MACRO_RE.findall(assign.value.text):
                self.check_macro(macro, assign.value.location)

    def check_macro(self, macro: str, location: Location) -> None:
        if not any(macro in t.defines for t in self.corpus.targets.values()):
            known = {m for t in self.corpus.targets.values() for m in t.defines}
            self.diags.error(
                location,
                f"unknown macro ${{{macro}}}: no target defines it"
                + did_you_mean(macro, known | set(self.corpus.defines)),
            )

    def check_options(self) -> None:
        for decl in self.corpus.options.values():
            if decl.c_lvalue is not None and not C_LVALUE_RE.fullmatch(decl.c_lvalue):
                self.diags.error(
                    decl.c_location or decl.location,
                    f"option {decl.name}: C lvalue {decl.c_lvalue!r} is not of the form "
                    "root->field, then .field or [INDEX] (e.g. m->max_cpus, "
                    "smc->default_caps.caps[SPAPR_CAP_HTM])",
                )
        for family in self.corpus.families.values():
            for assign in family.options:
                self.check_option_assign(assign, f"family {family.name}")
        used = {
            assign.name
            for owner in [*self.corpus.families.values(), *self.corpus.machines]
            for assign in owner.options
        }
        for decl in self.corpus.options.values():
            if decl.name not in used:
                self.diags.warning(
                    decl.location,
                    f"option {decl.name} is declared but no family or machine sets it: "
                    "drop the declaration, or set it where it applies",
                    check="unused-option",
                )

    # -- compat sets ---------------------------------------------------------------
    def check_compat_sets(self) -> None:
        for compat in self.corpus.compat_sets.values():
            if compat.version is not None:
                self.check_release(
                    compat.version, compat.location, f"compat set '{compat.display}'"
                )
            seen: dict[tuple[str, str], object] = {}
            for entry in compat.entries:
                for macro in MACRO_RE.findall(entry.driver):
                    self.check_macro(macro, entry.location)
                for macro in MACRO_RE.findall(entry.property):
                    self.diags.error(
                        entry.location,
                        f"unknown macro ${{{macro}}} in a property: declare it with "
                        f"'define {macro} \"...\"' (a property has one name in every target)"
                        + did_you_mean(macro, self.corpus.defines),
                    )
                key = (entry.driver, entry.property)
                first = seen.get(key)
                if first is None:
                    seen[key] = entry
                elif first.value != entry.value:
                    self.diags.error(
                        entry.location,
                        f"{entry.driver}.{entry.property} is set twice in compat set "
                        f"'{compat.display}' with different values "
                        f'("{first.value}" and "{entry.value}")',
                    )
                    self.diags.note(first.location, "first set here")
                else:
                    self.diags.warning(
                        entry.location,
                        f"{entry.driver}.{entry.property} is set twice in compat set "
                        f"'{compat.display}' (same value)",
                        check="duplicate-entry",
                    )

    def check_release(self, version: Version, location: Location, what: str) -> bool:
        if self.corpus.is_vendor(location):
            return True  # a vendor numbers its machine types and sets itself
        if version.release in self.corpus.releases:
            return True
        known = [str(v) for v in sorted(self.corpus.releases)]
        self.diags.error(
            location,
            f"{what}: unknown release {version.release}"
            + did_you_mean(str(version.release), known),
        )
        return False

    def check_set_ref(self, ref: SetRef) -> bool:
        if ref.key in self.corpus.compat_sets:
            return True
        names = [s.display for s in self.corpus.compat_sets.values()]
        self.diags.error(
            ref.location,
            f"unknown compat set '{ref.display}'" + did_you_mean(ref.display, names),
        )
        return False

    # -- families ----------------------------------------------------------------
    def check_families(self) -> None:
        families = self.corpus.families
        for family in families.values():
            if family.extends is not None:
                base = families.get(family.extends)
                if base is None:
                    self.diags.error(
                        family.extends_location,
                        f"unknown family '{family.extends}'"
                        + did_you_mean(family.extends, families),
                    )
                else:
                    family.base = base
            for ref in family.compat:
                self.check_set_ref(ref)
            for name, location in family.targets:
                if name not in self.corpus.targets:
                    self.diags.error(
                        location,
                        f"unknown target '{name}'" + did_you_mean(name, self.corpus.targets),
                    )
        for family in families.values():
            lineage = [family]
            base = family.base
            while base is not None:
                if base is family:
                    self.diags.error(family.location, f"family {family.name} extends itself")
                    family.base = None
                    break
                lineage.append(base)
                base = base.base
            if family.abstract:
                continue
            if not family.pattern:
                self.diags.error(
                    family.location,
                    f'family {family.name} needs a name: "{family.name}-{{version}}" for '
                    f'versioned machines, "{family.name}" for a single unversioned one',
                )
            if not family.targets:
                self.diags.error(family.location, f"family {family.name} lists no targets")

    # -- machines ----------------------------------------------------------------
    def link_machines(self) -> None:
        """Give each machine its name and parent; report what cannot be linked."""
        by_family: dict[str, dict[Version, Machine]] = defaultdict(dict)
        self.by_family = by_family
        self.unversioned: dict[str, Machine] = {}
        for machine in self.corpus.machines:
            family = self.corpus.families.get(machine.family)
            if family is None:
                self.diags.error(
                    machine.location,
                    f"unknown family '{machine.family}'"
                    + did_you_mean(machine.family, self.corpus.families),
                )
                continue
            if family.abstract:
                self.diags.error(
                    machine.location,
                    f"family {family.name} is abstract: it has no machines of its own",
                )
                continue
            pattern = family.pattern or ""
            versioned = "{version}" in pattern
            if versioned != (machine.version is not None):
                self.diags.error(
                    machine.location,
                    f"family {family.name} is {'versioned' if versioned else 'unversioned'}: "
                    + ("give the machine a version" if versioned else "drop the version"),
                )
                continue
            if machine.version is None:
                machine.name = pattern
                if family.name in self.unversioned:
                    self.diags.error(machine.location, f"machine {machine.name} is declared twice")
                    continue
                self.unversioned[family.name] = machine
                continue
            machine.name = pattern.replace("{version}", str(machine.version))
            versions = by_family[family.name]
            if machine.version in versions:
                self.diags.error(machine.location, f"machine {machine.name} is declared twice")
                self.diags.note(versions[machine.version].location, "first declared here")
                continue
            versions[machine.version] = machine

        for machine in self.unversioned.values():
            self.link_parent(machine, None, None)
        for family_name, versions in by_family.items():
            ordered = sorted(versions)
            for index, version in enumerate(ordered):
                newer = versions[ordered[index + 1]] if index + 1 < len(ordered) else None
                self.link_parent(versions[version], family_name, newer)

    def link_parent(self, machine: Machine, family_name: str | None, newer) -> None:
        if len(machine.inherits) > 1:
            self.diags.error(
                machine.inherits[1][2],
                f"machine {machine.name} has two parents: 'inherits' may appear once",
            )
        if not machine.inherits:
            machine.parent = newer
            return
        other, parent_version, location = machine.inherits[0]
        parent_family = other or family_name
        if parent_family is None:
            self.diags.error(location, "an unversioned machine inherits 'FAMILY VERSION'")
            return
        if parent_family not in self.corpus.families:
            self.diags.error(
                location,
                f"unknown family '{parent_family}'"
                + did_you_mean(parent_family, self.corpus.families),
            )
            return
        parent = self.by_family.get(parent_family, {}).get(parent_version)
        if parent is None:
            self.diags.error(
                location,
                f"machine {machine.name} inherits unknown version {parent_version} "
                f"of family {parent_family}",
            )
        elif parent is machine:
            self.diags.error(location, f"machine {machine.name} inherits itself")
        else:
            machine.parent = parent

    def check_machines(self) -> None:
        for machine in self.corpus.machines:
            if not machine.name:
                continue
            if machine.version is not None:
                self.check_release(machine.version, machine.location, f"machine {machine.name}")
            for ref in machine.compat:
                self.check_set_ref(ref)
            for assign in machine.options:
                self.check_option_assign(assign, f"machine {machine.name}")
            for feature, location in machine.requires:
                self.check_feature(feature, location)
            family = self.corpus.families[machine.family]
            for ref in machine.compat:
                compat = self.corpus.compat_sets.get(ref.key)
                if compat is None:
                    continue
                for entry in compat.entries:
                    for macro in MACRO_RE.findall(entry.driver):
                        for target_name, _ in family.targets:
                            target = self.corpus.targets.get(target_name)
                            if target is not None and macro not in target.defines:
                                self.diags.error(
                                    entry.location,
                                    f"${{{macro}}} is not defined for target {target_name}, "
                                    f"which uses this set through {machine.name}",
                                )

    def check_chains(self) -> None:
        self.break_cycles()
        # Gaps: every release between the oldest and newest version.
        releases = sorted(self.corpus.releases)
        for family_name, versions in self.by_family.items():
            # A vendor's chain follows the vendor's releases, not QEMU's.
            if self.corpus.is_vendor(self.corpus.families[family_name].location):
                continue
            ordered = sorted(versions)
            have = {v.release for v in ordered}
            for older, newer in zip(ordered, ordered[1:]):
                if versions[older].parent is not versions[newer]:
                    continue  # not one chain (xenfv-3.1 inherits pc-i440fx-3.1)
                between = releases[
                    bisect.bisect_right(releases, older.release) : bisect.bisect_left(
                        releases, newer.release
                    )
                ]
                missing = [r for r in between if r not in have]
                if missing:
                    family = self.corpus.families[family_name]
                    names = ", ".join(
                        (family.pattern or "").replace("{version}", str(r)) for r in missing
                    )
                    self.diags.error(
                        versions[newer].location,
                        f"gap in the {family_name} chain: no machine for release "
                        f"{', '.join(map(str, missing))} between {older} and {newer} "
                        f"(missing {names})",
                        check="chain-gap",
                    )

    def break_cycles(self) -> None:
        """Report each inheritance cycle at its first machine (in family, then
        source order) and cut it there.  Every machine has one parent, so
        cycles are disjoint and one walk over all machines finds them all."""
        order = [machine for versions in self.by_family.values() for machine in versions.values()]
        position = {id(machine): index for index, machine in enumerate(order)}
        done: set[int] = set()
        cycles = []
        for start in order:
            path, on_path = [], set()
            node = start
            while node is not None and id(node) not in done and id(node) not in on_path:
                path.append(node)
                on_path.add(id(node))
                node = node.parent
            if node is not None and id(node) in on_path:
                cycles.append(path[path.index(node) :])
            done.update(on_path)
        for cycle in cycles:
            first = min(range(len(cycle)), key=lambda i: position.get(id(cycle[i]), len(order)))
            members = cycle[first:] + cycle[:first]
            machine = members[0]
            names = " -> ".join(m.name for m in members + [machine])
            self.diags.error(machine.location, f"inheritance cycle: {names}")
            machine.parent = None

    def check_completeness(self) -> None:
        """Every version of a family that uses hw_compat_* sets applies the one
        of its release, where there is one (virt-6.0 once forgot hw_compat_6_0);
        the newest applies none.  A bugfix version (pc-q35-4.0.1) may apply it
        for its release."""
        for family_name, versions in self.by_family.items():
            ordered = sorted(versions)
            if self.corpus.is_vendor(self.corpus.families[family_name].location):
                continue
            if not any(ref.scope == "hw" for v in ordered for ref in versions[v].compat):
                continue
            newest = ordered[-1].release
            for version in ordered:
                machine = versions[version]
                release = version.release
                if release == newest:
                    continue
                applied = any(
                    ref.key == ("hw", release)
                    for member in machine.chain()
                    if member.version is not None and member.version.release == release
                    for ref in member.compat
                )
                # hw_compat_* starts at 2.1: older machines have none to apply.
                if applied or ("hw", release) not in self.corpus.compat_sets:
                    continue
                self.diags.error(
                    machine.location,
                    f"{machine.name} does not apply hw_compat_{release.c_suffix}: add "
                    f"'compat hw {release}' (every older machine needs its release's set)",
                    check="completeness",
                )

    def check_defaults_and_aliases(self) -> None:
        defaults: dict[str, Machine] = {}
        aliases: dict[str, list[Machine]] = defaultdict(list)
        for machine in self.corpus.machines:
            if machine.name and machine.alias_name is not None:
                aliases[machine.alias_name].append(machine)
        for family in self.corpus.families.values():
            single = self.unversioned.get(family.name)
            if single is not None and single.default is not None:
                for target_name, _ in family.targets:
                    defaults.setdefault(target_name, single)
        for family_name, versions in self.by_family.items():
            family = self.corpus.families[family_name]
            stable = [
                v
                for v in sorted(versions)
                if versions[v].unstable is None and versions[v].removed is None
            ]
            newest_stable = versions[stable[-1]] if stable else None
            for machine in versions.values():
                if machine.default is not None:
                    for target_name, _ in family.targets:
                        other = defaults.get(target_name)
                        if other is not None and other is not machine:
                            self.diags.error(
                                machine.default,
                                f"{machine.name} and {other.name} are both the default "
                                f"machine for target {target_name}",
                            )
                        else:
                            defaults[target_name] = machine
                if machine.alias is not None and machine.alias_name is None:
                    if family.alias is None:
                        self.diags.error(
                            machine.alias,
                            f"machine {machine.name} is aliased but family {family.name} "
                            "declares no alias name",
                        )
                    elif machine is not newest_stable:
                        newest = newest_stable.name if newest_stable else "none"
                        self.diags.error(
                            machine.alias,
                            f"the alias '{family.alias}' must name the newest stable "
                            f"{family.name} machine ({newest}), not {machine.name}",
                        )
                    aliases[family.alias or ""].append(machine)
            if (
                family.alias is not None
                and newest_stable is not None
                and not any(m.alias and m.alias_name is None for m in versions.values())
            ):
                self.diags.warning(
                    family.location,
                    f"family {family.name} declares alias '{family.alias}' but no machine "
                    f"carries it (add 'alias' to {newest_stable.name})",
                    check="alias-unused",
                )
        names = {m.name for m in self.corpus.machines if m.name}
        for alias, machines in aliases.items():
            if len(machines) > 1:
                for machine in machines[1:]:
                    self.diags.error(
                        machine.alias,
                        f"alias '{alias}' is given to {machines[0].name} and {machine.name}",
                    )
            if alias in names:
                self.diags.error(machines[0].alias, f"alias '{alias}' is also a machine name")

    def check_lifecycle(self) -> None:
        policy = self.corpus.lifecycle
        at = self.corpus.current_release
        releases = sorted(self.corpus.releases)
        for machine in self.corpus.machines:
            if not machine.name:
                continue
            if machine.deprecated is not None:
                dep = machine.deprecated
                if not dep.reason.strip():
                    self.diags.error(dep.location, f"deprecation of {machine.name} needs a reason")
                if dep.since is not None:
                    self.check_release(dep.since, dep.location, f"deprecation of {machine.name}")
            if machine.unstable is not None and machine.deprecated is not None:
                self.diags.error(
                    machine.unstable, f"{machine.name} is unstable and deprecated: pick one"
                )
            manual = self.corpus.families[machine.family].manual_lifecycle
            reason = lifecycle.deprecation_reason(machine, policy, at, manual)
            gone = lifecycle.absent_reason(machine, policy, at, manual)
            for flag, what in ((machine.alias, "an alias"), (machine.default, "the default")):
                if flag is None:
                    continue
                if reason is not None:
                    self.diags.error(flag, f"deprecated machine {machine.name} cannot be {what}")
                elif gone is not None:
                    self.diags.error(flag, f"machine {machine.name} is {gone}: it cannot be {what}")
            self.check_removed_parent(machine, policy, at)
            if machine.removed is not None and machine.version is not None:
                self.check_removal(machine, policy, manual, releases)

    def check_removed_parent(self, machine: Machine, policy, at) -> None:
        """A machine type of the build cannot inherit one its release removed:
        its options function calls the removed one's."""
        parent = machine.parent
        if parent is None or parent.removed is None or not parent.name:
            return
        release = parent.removed[0].release
        manual = self.corpus.families[machine.family].manual_lifecycle
        if lifecycle.absent_reason(machine, policy, at, manual) is not None:
            return
        if machine.removed is None or machine.removed[0].release > release:
            self.diags.error(
                parent.removed[1],
                f"{parent.name} is removed in {release}, but {machine.name}, which "
                f"inherits it, is not: remove {machine.name} too (no later than {release})",
            )

    def check_removal(self, machine: Machine, policy, manual: bool, releases) -> None:
        removed, location = machine.removed
        self.check_release(removed, location, f"removal of {machine.name}")
        if removed.release <= machine.version.release:
            self.diags.error(
                location,
                f"{machine.name} cannot be removed in {removed}, before or with its own "
                f"release {machine.version.release}",
            )
            return
        # Its own deprecation, else the one it inherits from a newer machine.
        dep = next((m.deprecated for m in reversed(machine.chain()) if m.deprecated), None)
        since = dep.since if dep is not None else None
        if since is None and policy and policy.deprecate_after and not manual:
            # Deprecated by the automatic policy: notice runs from then.
            since = lifecycle.first_expired(
                policy.deprecate_after, machine.version, [*releases, removed]
            )
        if since is None:
            if dep is not None:
                self.diags.error(
                    location,
                    f"{machine.name} is removed in {removed}, but its deprecation says no "
                    "release: write 'deprecated since X.Y \"reason\"' to count the notice from",
                )
            else:
                self.diags.error(
                    location,
                    f"{machine.name} is removed without a deprecation: "
                    "write 'deprecated since X.Y \"reason\"' first",
                )
            return
        notice = policy.removal_notice if policy else 2
        # Releases of notice: the declared ones and, past them, QEMU's numbering.
        earliest = lifecycle.releases_after(releases, since.release, notice)[-1]
        if removed.release < earliest:
            self.diags.error(
                location,
                f"{machine.name} is removed in {removed}, deprecated since {since}: "
                f"removal needs {notice} releases of notice (no sooner than {earliest})",
            )

    def check_lifecycle_policy(self) -> None:
        """The policy itself, and deprecations dated before their machine."""
        policy = self.corpus.lifecycle
        if policy is not None:
            deprecate, delete = policy.deprecate_after, policy.delete_after
            if deprecate is not None and not (policy.reason or "").strip():
                self.diags.error(
                    policy.location,
                    "the lifecycle policy deprecates machines automatically and needs a "
                    'reason (reason "...")',
                )
            if delete is not None and deprecate is None:
                self.diags.error(
                    policy.location,
                    "the lifecycle policy deletes machines without deprecating them first "
                    "(add deprecate-after N)",
                )
            # QEMU makes three releases a year (X.0, X.1, X.2) and bumps the
            # major yearly, so each major between the two gives three of notice.
            elif delete is not None and (delete - deprecate) * 3 < policy.removal_notice:
                self.diags.error(
                    policy.location,
                    f"the lifecycle policy deletes machines {delete - deprecate} majors after "
                    f"deprecating them: removal needs {policy.removal_notice} releases of "
                    "notice (delete-after must be greater than deprecate-after)",
                )
            if policy.enforce_deletion is not None and delete is None:
                self.diags.error(
                    policy.enforce_deletion,
                    "the lifecycle policy enforces deletion without saying when it is due "
                    "(add delete-after N)",
                )
        for machine in self.corpus.machines:
            dep = machine.deprecated
            if (
                machine.name
                and dep is not None
                and dep.since is not None
                and machine.version is not None
                and dep.since.release < machine.version.release
            ):
                self.diags.error(
                    dep.location,
                    f"{machine.name} cannot be deprecated since {dep.since}, before its own "
                    f"release {machine.version.release}",
                )

    # -- CPU models (s390x) ---------------------------------------------------------
    def check_cpu_models(self) -> None:
        """Every name of a cpu-models block and of the machines' CPU statements
        resolves; levels and the definition table are in release order."""
        for models in self.corpus.cpu_models.values():
            if models.target not in self.corpus.targets:
                self.diags.error(
                    models.location,
                    f"unknown target '{models.target}'"
                    + did_you_mean(models.target, self.corpus.targets),
                )
            self.check_cpu_model_block(models)
        for decl in self.corpus.instance_globals.values():
            self.check_instance_value(decl, decl.default, f"instance-global {decl.name}")
        for machine in self.corpus.machines:
            if machine.name and machine.instance_options:
                self.check_machine_cpu(machine)

    def check_cpu_model_block(self, models) -> None:
        features, groups = models.features, models.groups
        enums: dict[str, object] = {}
        for feature in features.values():
            if feature.enum in enums:
                self.diags.error(
                    feature.location,
                    f"CPU feature {feature.name}: enum S390_FEAT_{feature.enum} is also "
                    f"feature {enums[feature.enum].name}'s",
                )
            enums[feature.enum] = feature
        group_enums: dict[str, object] = {}
        for group in groups.values():
            if group.name in features:
                self.diags.error(
                    group.location, f"feature group {group.name} has the name of a CPU feature"
                )
            if group.enum in group_enums:
                self.diags.error(
                    group.location,
                    f"feature group {group.name}: enum S390_FEAT_GROUP_{group.enum} is also "
                    f"group {group_enums[group.enum].name}'s",
                )
            group_enums[group.enum] = group
            if not group.members:
                self.diags.error(group.location, f"feature group {group.name} has no features")
            for name, location in group.members:
                self.cpu_feature_ref(models, name, location, groups_ok=False)
        seen: set[str] = set()
        for name, location in models.deprecated:
            if self.cpu_feature_ref(models, name, location, groups_ok=False):
                if name in seen:
                    self.diags.warning(
                        location, f"{name} is listed as deprecated twice", check="duplicate-entry"
                    )
                seen.add(name)
                features[name].deprecated = True
        levels = {}
        previous = None
        for level in models.levels:
            text = gen_ga_text(level.level)
            if level.level in levels:
                self.diags.error(level.location, f"ga {text} is declared twice")
                self.diags.note(levels[level.level].location, f"ga {text} was first declared here")
                continue
            if previous is not None and level.level < previous:
                self.diags.error(
                    level.location,
                    f"ga {text} comes after ga {gen_ga_text(previous)}: GA levels add to the "
                    "ones before them and must be in release order",
                )
            levels[level.level] = level
            previous = level.level
            for entries in (*level.adds.values(), *level.clears.values()):
                for name, location in entries:
                    self.cpu_feature_ref(models, name, location)
        previous_def = None
        by_type: dict[tuple, object] = {}
        for definition in models.definitions.values():
            self.cpu_level_ref(models, definition.level, definition.location)
            if previous_def is not None and definition.gen < previous_def.gen:
                self.diags.error(
                    definition.location,
                    f"CPU definition {definition.name} (generation {definition.gen}) comes "
                    f"after {previous_def.name} (generation {previous_def.gen}): QEMU's "
                    "table is in order of release (s390_find_cpu_def relies on it)",
                )
            previous_def = definition
            key = (numbers.parse_int(definition.type), definition.level)
            if key in by_type:
                self.diags.error(
                    definition.location,
                    f"CPU definitions {by_type[key].name} and {definition.name} have the same "
                    f"type {definition.type} and {gen_ga_text(definition.level)}",
                )
            by_type[key] = definition
            self.check_guard(definition.guard, f"CPU definition {definition.name}", True)
        for qemu_list in models.qemu_lists.values():
            for name, location in qemu_list.entries:
                self.cpu_feature_ref(models, name, location)
        if models.qemu_default is not None:
            definition, qemu_list, location = models.qemu_default
            self.cpu_qemu_model_ref(models, definition, qemu_list, location, location)
        if models.host_model is not None:
            self.cpu_definition_ref(models, models.host_model[0], models.host_model[2])

    def cpu_feature_ref(self, models, name: str, location: Location, groups_ok=True) -> bool:
        if name in models.features:
            return True
        if name in models.groups:
            if groups_ok:
                return True
            self.diags.error(location, f"'{name}' is a feature group, not a CPU feature")
            return False
        candidates = list(models.features) + (list(models.groups) if groups_ok else [])
        what = "CPU feature or group" if groups_ok else "CPU feature"
        self.diags.error(location, f"unknown {what} '{name}'" + did_you_mean(name, candidates))
        return False

    def cpu_level_ref(self, models, level, location: Location) -> bool:
        if any(declared.level == level for declared in models.levels):
            return True
        known = list(dict.fromkeys(gen_ga_text(declared.level) for declared in models.levels))
        text = gen_ga_text(level)
        self.diags.error(
            location,
            f"unknown CPU generation/GA {text} (declare it with 'ga {text} {{ ... }}')"
            + did_you_mean(text, known),
        )
        return False

    def cpu_definition_ref(self, models, name: str, location: Location) -> bool:
        if name in models.definitions:
            return True
        self.diags.error(
            location, f"unknown CPU definition '{name}'" + did_you_mean(name, models.definitions)
        )
        return False

    def cpu_qemu_model_ref(self, models, definition, qemu_list, location, def_location) -> None:
        known_def = self.cpu_definition_ref(models, definition, def_location)
        if qemu_list not in models.qemu_lists:
            self.diags.error(
                location,
                f"unknown 'qemu' model feature list '{qemu_list}'"
                + did_you_mean(qemu_list, models.qemu_lists),
            )
            return
        if not known_def:
            return
        from .cpumodels import feature_sets, find_cpu_def

        # The C names the definition by type, generation and GA, and QEMU
        # looks it up in its table: it must find this one.
        wanted = models.definitions[definition]
        found = find_cpu_def(models.definitions.values(), wanted.type, wanted.gen, wanted.ga)
        if found is not wanted:
            self.diags.error(
                def_location,
                f"s390_set_qemu_cpu_model({wanted.type}, {wanted.gen}, {wanted.ga}, ...) finds "
                f"{found.name if found else 'no definition'}, not {wanted.name}, in QEMU's table "
                "(s390_find_cpu_def stops at the first definition of a later GA)",
            )
        # gen-features.c: the 'qemu' lists hold nothing the hardware lacks.
        sets = feature_sets(models)
        level = models.definitions[definition].level
        if level not in sets.levels:
            return
        missing = sets.qemu_lists[qemu_list] & ~sets.levels[level]["full"]
        if missing:
            self.diags.warning(
                location,
                f"'qemu' model {definition} with {qemu_list}: "
                f"{', '.join(sets.expand(missing))} not in {definition}'s full feature set",
                check="cpu-qemu-features",
            )

    def check_machine_cpu(self, machine: Machine) -> None:
        from .model import CpuFeatOff, CpuQemuModelSet, InstanceSet

        family = self.corpus.families[machine.family]
        models = None
        for target_name, _ in family.targets:
            models = models or self.corpus.cpu_models.get(target_name)
        rebases = []
        for stmt in machine.instance_options:
            if isinstance(stmt, InstanceSet):
                decl = self.corpus.instance_globals.get(stmt.name)
                if decl is None:
                    self.diags.error(
                        stmt.location,
                        f"unknown instance-global '{stmt.name}' (declare it with "
                        f"'instance-global {stmt.name} TYPE default VALUE')"
                        + did_you_mean(stmt.name, self.corpus.instance_globals),
                    )
                else:
                    self.check_instance_value(decl, stmt.value, f"instance-global {decl.name}")
                continue
            if models is None:
                targets = ", ".join(name for name, _ in family.targets) or "none"
                self.diags.error(
                    stmt.location,
                    f"{machine.name} changes CPU models, but no target of family "
                    f"{family.name} ({targets}) has a cpu-models block",
                )
                continue
            if isinstance(stmt, CpuFeatOff):
                self.cpu_level_ref(models, stmt.level, stmt.location)
                for name, location in stmt.names:
                    if stmt.group:
                        if name in models.groups:
                            continue
                        if name in models.features:
                            self.diags.error(
                                location,
                                f"'{name}' is a CPU feature, not a group: use cpu-featoff",
                            )
                        else:
                            self.diags.error(
                                location,
                                f"unknown CPU feature group '{name}'"
                                + did_you_mean(name, models.groups),
                            )
                    elif name in models.groups:
                        self.diags.error(
                            location,
                            f"'{name}' is a feature group: use cpu-group-featoff",
                        )
                    else:
                        self.cpu_feature_ref(models, name, location, groups_ok=False)
            elif isinstance(stmt, CpuQemuModelSet):
                rebases.append(stmt)
                self.cpu_qemu_model_ref(
                    models,
                    stmt.definition,
                    stmt.qemu_list,
                    stmt.location,
                    stmt.definition_location,
                )
                definition = models.definitions.get(stmt.definition)
                guard = machine.guard or family.guard
                if (
                    definition is not None
                    and definition.guard is not None
                    and (guard is None or str(guard) != str(definition.guard))
                ):
                    self.diags.error(
                        stmt.definition_location,
                        f"CPU definition {definition.name} exists only if {definition.guard}, "
                        f"but {machine.name} does not have that guard",
                    )
        for extra in rebases[1:]:
            self.diags.error(
                extra.location,
                f"{machine.name} rebases the 'qemu' CPU model twice: QEMU's instance options "
                "declare one qemu_cpu_feat",
            )

    def check_instance_value(self, decl, value, what: str) -> None:
        if decl.type not in ("bool", "int", "str"):
            self.diags.error(decl.location, f"{what}: type {decl.type} is not bool, int or str")
            return
        option = OptionDecl(decl.name, decl.type, decl.name, decl.location)
        problem = values.type_error(option, value, self.corpus.consts)
        if problem:
            self.diags.error(value.location, problem.replace("option ", f"{what}: ", 1))


def check(corpus: Corpus, diags: Diagnostics) -> None:
    Checker(corpus, diags).run()
