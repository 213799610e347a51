"""Host-dependent guest ABI: the platform rules and migration checks.

The rules (from the QEMU list's USO discussion): a guest-visible bit that
depends on the host is never switched on silently; an explicit on where the
host lacks it fails hard; a default flips on only in a new machine type, with
compat entries keeping the older ones off.

check() enforces them after resolution:
- host-dependent-default (warning): a host-dependent property is on in a
  machine type that does not 'require' a platform providing its feature, so
  that type's guest ABI differs between hosts;
- host-dependent-unpinned (error): a machine type older than the property
  leaves it on: the compat set of the release before must pin it off.
- monotone (error): a monotone option changes twice along one chain.

visible() and migrate() answer "what does the guest see on this host" and
"can a guest move between these two hosts".
"""

from __future__ import annotations


from .records import record
from . import guards, qom
from .diagnostics import Diagnostics
from .model import Corpus, HostFacts, HostProperty
from .resolve import Resolved, ResolvedMachine, expand_driver
from .versions import Version


@record(frozen=True)
class Seen:
    """What a guest sees for one driver.property on one host, and why."""

    value: str
    why: str


@record(frozen=True)
class Difference:
    """A guest-visible value that differs between two hosts."""

    driver: str
    property: str
    source: Seen
    destination: Seen
    # False when the destination only offers more: a virtio feature the
    # source host lacked is simply not negotiated, so the guest keeps running.
    breaks: bool = True


def declared_property(corpus: Corpus, driver: str, prop: str):
    """(default, since) of a property declared with qom-type, else (None, None)."""
    for decl in corpus.qom_decls:
        if decl.name == driver:
            for declared in decl.properties:
                if declared.name == prop:
                    return declared.default, declared.since
    return None, None


def _location(loc) -> str:
    return f"{loc.file}:{loc.line}"


def host_dependent_state(machine: ResolvedMachine, host_prop: HostProperty, corpus: Corpus):
    """(value, why) before the host has its say: the last compat entry of the
    chain for it, else the property's declared default."""
    driver = expand_driver(host_prop.driver, machine.target)
    prop = machine.effective().get((driver, host_prop.property))
    if prop is not None:
        return prop.value, f"{prop.provenance.set_name}, {_location(prop.provenance.location)}"
    default, _ = declared_property(corpus, host_prop.driver, host_prop.property)
    registry = corpus.registries.get(machine.target.name)
    if default is None and registry is not None:
        default = registry.default_of(driver, host_prop.property)
    if default is not None:
        return default, f"default of {host_prop.driver}.{host_prop.property}"
    return None, "unknown default"


def check(resolved: Resolved, diags: Diagnostics) -> None:
    corpus = resolved.corpus
    check_host_dependent(resolved, corpus, diags)
    check_monotone(resolved, diags)


def check_host_dependent(resolved: Resolved, corpus: Corpus, diags: Diagnostics) -> None:
    seen_machines: set[int] = set()
    on_by_default: dict[tuple[int, str], list[ResolvedMachine]] = {}  # per family
    unpinned: dict[int, list[ResolvedMachine]] = {}
    for resolved_target in resolved.targets.values():
        for machine in resolved_target.machines:
            if id(machine.machine) in seen_machines:
                continue  # the rules do not depend on the target
            seen_machines.add(id(machine.machine))
            for index, host_prop in enumerate(corpus.host_properties):
                value, _ = host_dependent_state(machine, host_prop, corpus)
                if value is None or not qom.is_on("bool", value):
                    continue
                if host_prop.feature in machine.requires:
                    continue
                _, since = declared_property(corpus, host_prop.driver, host_prop.property)
                version = machine.machine.version
                if since is not None and version is not None and version.release < since:
                    unpinned.setdefault(index, []).append(machine)
                else:
                    key = (index, machine.family.name)
                    on_by_default.setdefault(key, []).append(machine)
    per_property: dict[int, list[str]] = {}
    for (index, _), machines in on_by_default.items():
        per_property.setdefault(index, []).append(_span(machines))
    for index, spans in per_property.items():
        host_prop = corpus.host_properties[index]
        if host_prop.acknowledged is not None:
            continue  # QEMU's own default, kept knowingly: the reason says why
        names = "; ".join(spans)
        diags.warning(
            host_prop.location,
            f"{host_prop.driver}.{host_prop.property} needs host feature {host_prop.feature} "
            f"but is on by default in {names}: their guest ABI differs on hosts without "
            f"it, and migrating to such a host breaks (keep it off by default, or give a "
            f"new machine type 'requires {host_prop.feature}')",
            check="host-dependent-default",
        )
    for index, machines in unpinned.items():
        host_prop = corpus.host_properties[index]
        _, since = declared_property(corpus, host_prop.driver, host_prop.property)
        previous = [r for r in sorted(corpus.releases) if r < since]
        compat = corpus.compat_sets.get(("hw", previous[-1])) if previous else None
        where = compat.location if compat is not None else host_prop.location
        fix = (
            f"hw_compat_{previous[-1].c_suffix} must set "
            f'{host_prop.driver}.{host_prop.property} = "off"'
            if previous
            else "pin it off in the oldest compat set"
        )
        diags.error(
            where,
            f"{_spans(machines)} predate {host_prop.driver}.{host_prop.property} "
            f"(since {since}) but leave it on: a host-dependent default may only flip in a "
            f"new machine type; {fix}",
            check="host-dependent-unpinned",
        )


def _spans(machines: list[ResolvedMachine]) -> str:
    """One _span per family, in the order the families come."""
    families: dict[str, list[ResolvedMachine]] = {}
    for machine in machines:
        families.setdefault(machine.family.name, []).append(machine)
    return "; ".join(_span(group) for group in families.values())


def _span(machines: list[ResolvedMachine]) -> str:
    """pc-q35-8.2 .. pc-q35-10.0 (5 machine types), oldest first."""
    ordered = sorted(machines, key=lambda m: m.machine.version or Version(()))
    names = list(dict.fromkeys(m.name for m in ordered))
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]} .. {names[-1]} ({len(names)} machine types)"


def check_monotone(resolved: Resolved, diags: Diagnostics) -> None:
    """A monotone option changes at most once along a chain.  Each machine's
    count of changes is its parent's plus its own, so one pass over the
    machines, parents first, decides every chain (walking each machine's
    whole chain would be quadratic in its length)."""
    names = {name for name, decl in resolved.corpus.options.items() if decl.monotone}
    if not names:
        return
    reported: set[tuple[str, int]] = set()
    for resolved_target in resolved.targets.values():
        by_machine = {id(m.machine): m for m in resolved_target.machines}
        # id(Machine) -> {option: (last value's ResolvedOption, its first two changes)}
        states: dict[int, dict] = {}

        def state_of(machine) -> dict:
            pending, seen = [], set()
            node = machine
            while node is not None and id(node) not in states and id(node) not in seen:
                pending.append(node)
                seen.add(id(node))  # checks.py has cut every cycle; never loop anyway
                node = node.parent
            state = states.get(id(node), {}) if node is not None else {}
            for member in reversed(pending):  # the newest first
                resolved_member = by_machine.get(id(member))
                if resolved_member is not None:
                    state = dict(state)
                    for name in names & resolved_member.options.keys():
                        option = resolved_member.options[name]
                        last, changes = state.get(name, (None, ()))
                        if last is not None and last.value != option.value:
                            changes = (changes + (option,))[:2]
                        state[name] = (option, changes)
                states[id(member)] = state
            return state

        for machine in resolved_target.machines:
            state = state_of(machine.machine)
            for name in sorted(names & machine.options.keys()):
                changes = state[name][1]
                if len(changes) > 1:
                    culprit = changes[1].assign
                    key = (name, id(culprit))
                    if key in reported:
                        continue
                    reported.add(key)
                    diags.error(
                        culprit.location,
                        f"option {name} is monotone but changes twice along the chain of "
                        f"{machine.name} (first at {changes[0].set_by}, again at "
                        f"{changes[1].set_by})",
                        check="monotone",
                    )


def visible(machine: ResolvedMachine, host: HostFacts, corpus: Corpus, accel=None):
    """{(driver, property): Seen} for everything that can differ by host:
    entries under a host guard and host-dependent properties."""
    seen: dict[tuple[str, str], Seen] = {}
    for prop in machine.compat_props:
        if prop.guard is None:
            continue
        key = (prop.driver, prop.property)
        if guards.host_true(prop.guard, host, accel):
            where = f"{prop.provenance.set_name}, {_location(prop.provenance.location)}"
            seen[key] = Seen(prop.value, f"{where}, if {prop.guard}")
        elif key not in seen:
            seen[key] = _unguarded(machine, key, corpus)
    for host_prop in corpus.host_properties:
        key = (expand_driver(host_prop.driver, machine.target), host_prop.property)
        base = seen.get(key)
        if base is None:
            value, why = host_dependent_state(machine, host_prop, corpus)
            if value is None:
                continue
            base = Seen(value, why)
        if qom.is_on("bool", base.value) and host_prop.feature not in host.features:
            seen[key] = Seen("off", f"host lacks {host_prop.feature}; asked for on by {base.why}")
        else:
            seen[key] = base
    return seen


def _unguarded(machine: ResolvedMachine, key, corpus) -> Seen:
    prop = machine.effective().get(key)
    if prop is not None:
        return Seen(
            prop.value, f"{prop.provenance.set_name}, {_location(prop.provenance.location)}"
        )
    default, _ = declared_property(corpus, key[0], key[1])
    registry = corpus.registries.get(machine.target.name)
    if default is None and registry is not None:
        default = registry.default_of(*key)
    return Seen(default if default is not None else "(default)", "the property's default")


def missing_requirements(machine: ResolvedMachine, host: HostFacts) -> list[str]:
    return [feature for feature in machine.requires if feature not in host.features]


def migrate(
    machine: ResolvedMachine, source: HostFacts, destination: HostFacts, corpus, accel=None
):
    """Differences a guest would see moving from source to destination."""
    before = visible(machine, source, corpus, accel)
    after = visible(machine, destination, corpus, accel)
    host_dependent = {
        (expand_driver(p.driver, machine.target), p.property) for p in corpus.host_properties
    }
    differences = []
    for key in sorted(set(before) | set(after)):
        a = before.get(key) or _unguarded(machine, key, corpus)
        b = after.get(key) or _unguarded(machine, key, corpus)
        if _same(a.value, b.value):
            continue
        gained = key in host_dependent and qom.is_on("bool", a.value) is False
        differences.append(Difference(key[0], key[1], a, b, breaks=not gained))
    return differences


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    on_a, on_b = qom.is_on("bool", a), qom.is_on("bool", b)
    return on_a is not None and on_a == on_b
