"""s390x CPU models: definitions, default feature sets, deprecated features
and the per-machine-version CPU changes (ccw_machine_X_Y_instance_options).

The facts come from a `cpu-models TARGET { ... }` block (model.CpuModels) and
from the machines' `cpu-featoff`, `cpu-group-featoff`, `cpu-qemu-model` and
`instance NAME = VALUE` statements.  This module computes what QEMU computes:

- the cumulative base, default and full feature sets of every generation/GA
  level, the way target/s390x/gen-features.c builds S390_FEAT_LIST_GEN*_GA*:
  each level ORs its lists into those of the levels before it, after
  clearing what it clears (gen15 drops csske, bpb); base features count for
  default and full too;
- the cumulative S390_FEAT_LIST_QEMU_* lists of the 'qemu' model;
- each machine's effective CPU-model defaults: QEMU runs the instance options
  of the newest machine first, down to the machine's own, so featoff changes
  accumulate and the 'qemu' model is the one the nearest version (itself or
  newer) set, else the registration-time default (gen15a + QEMU_MAX);
- query-cpu-model-expansion's static form and deprecated-props, and the
  "host-recommended" expansion: the host model minus deprecated features
  (libvirt's <cpu deprecated_features='off'>).

Feature sets are Python ints used as bitmaps: bit i is the i-th feature in
enum order, as QEMU's S390FeatBitmap.  resolve.py attaches the results to the
resolved model (ResolvedTarget.cpu_models, ResolvedMachine.cpu_models); the C
backend asks machine_cpu_c_lines() for a machine's own C statements.
"""

from __future__ import annotations

from typing import NamedTuple

from .records import field, record
from . import guards, numbers
from .diagnostics import Location
from .model import (
    CpuDefinition,
    CpuFeatOff,
    CpuModels,
    CpuQemuModelSet,
    Corpus,
    GenGa,
    InstanceSet,
    Machine,
    Target,
    Value,
    gen_ga_text,
)

SET_KINDS = ("base", "default", "full")


# ---- the cumulative sets -------------------------------------------------------


@record(eq=False)
class FeatureSets:
    """Everything about one CpuModels block that does not depend on a machine."""

    models: CpuModels
    names: list[str]  # feature names in enum order
    index: dict[str, int]
    groups: dict[str, int]  # group name -> members
    levels: dict[GenGa, dict[str, int]]  # level -> {"base": ..., "default": ..., "full": ...}
    qemu_lists: dict[str, int]  # cumulative, S390_FEAT_LIST_QEMU_*
    deprecated: int
    _chunks: dict[tuple[int, int], list[str]] = field(default_factory=dict, repr=False)

    def mask(self, name: str) -> int:
        """A feature's bit, or a whole group's members."""
        if name in self.groups:
            return self.groups[name]
        position = self.index.get(name)
        return 0 if position is None else 1 << position

    def mask_of(self, names) -> int:
        result = 0
        for name in names:
            result |= self.mask(name)
        return result

    def expand(self, mask: int) -> list[str]:
        """Individual feature names, in enum order (a byte of the bitmap at a
        time: the outputs expand a few hundred sets of up to 394 bits)."""
        out: list[str] = []
        chunks = self._chunks
        names = self.names
        for offset, byte in enumerate(mask.to_bytes((mask.bit_length() + 7) // 8, "little")):
            if byte:
                key = (offset, byte)
                found = chunks.get(key)
                if found is None:
                    base = offset * 8
                    found = chunks[key] = [names[base + i] for i in range(8) if byte >> i & 1]
                out.extend(found)
        return out

    def ascii(self, mask: int) -> list[str]:
        """Names the way s390_feat_bitmap_to_ascii reports them: every group
        fully present collapsed to its name (in group order), then the
        remaining single features in enum order."""
        out = []
        for name, members in self.groups.items():
            if members and mask & members == members:
                out.append(name)
                mask &= ~members
        return out + self.expand(mask)

    def level_sets(self, definition: CpuDefinition) -> dict[str, int]:
        return self.levels[definition.level]

    def default_set(self, definition: CpuDefinition) -> int:
        return self.levels[definition.level]["default"]


_SETS: dict[int, tuple[CpuModels, FeatureSets]] = {}


def feature_sets(models: CpuModels) -> FeatureSets:
    """The cumulative sets of a (checked) CpuModels block, computed once."""
    cached = _SETS.get(id(models))
    if cached is not None and cached[0] is models:
        return cached[1]
    names = list(models.features)
    index = {name: position for position, name in enumerate(names)}
    groups = {}
    for group in models.groups.values():
        mask = 0
        for member, _ in group.members:
            if member in index:
                mask |= 1 << index[member]
        groups[group.name] = mask
    sets = FeatureSets(models, names, index, groups, {}, {}, 0)
    running = dict.fromkeys(SET_KINDS, 0)
    for level in models.levels:
        for kind, cleared in level.clears.items():
            running[kind] &= ~sets.mask_of(name for name, _ in cleared)
        added = {
            kind: sets.mask_of(name for name, _ in level.adds.get(kind, ())) for kind in SET_KINDS
        }
        running["base"] |= added["base"]
        running["default"] |= added["base"] | added["default"]
        running["full"] |= added["base"] | added["full"]
        sets.levels[level.level] = dict(running)
    cumulative = 0
    for qemu_list in models.qemu_lists.values():
        cumulative |= sets.mask_of(name for name, _ in qemu_list.entries)
        sets.qemu_lists[qemu_list.name] = cumulative
    sets.deprecated = sets.mask_of(name for name, _ in models.deprecated)
    _SETS[id(models)] = (models, sets)
    return sets


def deprecated_props(sets: FeatureSets, mask: int | None = None) -> list[str]:
    """query-cpu-model-expansion's deprecated-props: every deprecated feature
    ('full' expansion, mask None) or those the model has ('static'), named by
    s390_feat_bitmap_to_ascii and prepended one by one (QAPI_LIST_PREPEND),
    so in reverse.  Consumers should treat it as a set."""
    deprecated = sets.deprecated if mask is None else sets.deprecated & mask
    return sets.ascii(deprecated)[::-1]


def static_expansion(sets: FeatureSets, definition: CpuDefinition, mask: int) -> dict:
    """query-cpu-model-expansion type 'static' of a model with features `mask`
    on `definition` (cpu_info_from_model): '<name>-base' plus the features
    removed from (false) and added to (true) its base set, keys sorted."""
    base = sets.level_sets(definition)["base"]
    props = {name: False for name in sets.ascii(base & ~mask)}
    props.update({name: True for name in sets.ascii(mask & ~base)})
    return {"name": f"{definition.name}-base", "props": dict(sorted(props.items()))}


def find_cpu_def(definitions, cpu_type: str, gen: int, ga: int) -> CpuDefinition | None:
    """What QEMU's s390_find_cpu_def(type, gen, ec_ga, NULL) returns from a
    table in this order: the exact type and GA, else the last definition of
    that type, else the last one it looked at; it stops at the first
    definition of a later generation, or of a later GA of the same one."""
    wanted = numbers.parse_int(cpu_type)
    if not gen:
        ga = 0
    last_compatible = matching_type = None
    for definition in definitions:
        if gen:
            if definition.gen > gen:
                break
            if definition.gen == gen and ga and definition.ga > ga:
                break
        same_type = numbers.parse_int(definition.type) == wanted
        if same_type and definition.ga == ga:
            return definition
        if same_type:
            matching_type = definition
        last_compatible = definition
    return matching_type or last_compatible


# ---- which block a machine uses --------------------------------------------------


def models_for_target(corpus: Corpus, target: Target | str) -> CpuModels | None:
    name = target if isinstance(target, str) else target.name
    return corpus.cpu_models.get(name)


def models_for_machine(corpus: Corpus, machine: Machine) -> CpuModels | None:
    family = corpus.families.get(machine.family)
    if family is None:
        return None
    for target_name, _ in family.targets:
        models = corpus.cpu_models.get(target_name)
        if models is not None:
            return models
    return None


# ---- C ---------------------------------------------------------------------------------


def _c_comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /") + " */"


def c_value(value: Value) -> str:
    if value.kind == "string":
        escaped = value.text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if value.kind == "int":
        return numbers.c_literal(value.text)
    return value.text  # true, false, a macro


def machine_cpu_c_lines(corpus, machine) -> list[str]:
    """The C statements of `machine`'s own instance options that change CPU
    models (s390_cpudef_featoff_greater(...), s390_set_qemu_cpu_model(...))
    and instance globals (css_migration_enabled = false;), in source order; a
    'qemu' model rebase puts its `static const S390FeatInit qemu_cpu_feat`
    declaration first, as ccw_machine_7_1_instance_options does.  The C
    backend puts them after the call to the next newer version's instance
    options.  No indentation, no trailing newlines.  Only called on a model
    that passed the checks: every name resolves."""
    if not machine.instance_options:
        return []
    models = models_for_machine(corpus, machine)
    if models is None:  # instance globals only
        models = CpuModels("", machine.location)
    lines: list[str] = []
    for stmt in machine.instance_options:
        if isinstance(stmt, CpuQemuModelSet):
            lines.append(
                "static const S390FeatInit qemu_cpu_feat = "
                f"{{ S390_FEAT_LIST_{stmt.qemu_list} }};"
            )
            break
    for stmt in machine.instance_options:
        body: list[str] = []
        if isinstance(stmt, CpuFeatOff):
            gen, ga = stmt.level
            for name, _ in stmt.names:
                if stmt.group:
                    enum = models.groups[name].enum
                    body.append(
                        f"s390_cpudef_group_featoff_greater({gen}, {ga}, S390_FEAT_GROUP_{enum});"
                    )
                else:
                    enum = models.features[name].enum
                    body.append(f"s390_cpudef_featoff_greater({gen}, {ga}, S390_FEAT_{enum});")
        elif isinstance(stmt, CpuQemuModelSet):
            definition = models.definitions[stmt.definition]
            body.append(
                f"s390_set_qemu_cpu_model({numbers.c_literal(definition.type)}, {definition.gen}, "
                f"{definition.ga}, qemu_cpu_feat);"
            )
        elif isinstance(stmt, InstanceSet):
            body.append(f"{stmt.name} = {c_value(stmt.value)};")
        if stmt.comment and body:
            if stmt.comment_above:
                lines.append(_c_comment(stmt.comment))
            else:
                body[0] += " " + _c_comment(stmt.comment)
        lines.extend(body)
    return lines


# ---- per machine -----------------------------------------------------------------------


class AppliedFeatOff(NamedTuple):
    featoff: CpuFeatOff
    set_by: str  # the machine whose instance options do it


class QemuModel(NamedTuple):
    definition: CpuDefinition
    qemu_list: str
    set_by: str | None  # None: the registration-time default
    location: Location


class InstanceValue(NamedTuple):
    name: str
    value: object
    set_by: str | None
    location: Location


@record(eq=False)
class MachineCpuModels:
    """A machine's effective CPU-model defaults, after every instance option
    of its chain ran (newest first)."""

    featoffs: list[AppliedFeatOff]  # in application order
    qemu_model: QemuModel | None
    defaults: dict[str, int]  # definition -> effective default set
    removed: dict[str, int]  # definition -> compiled default & ~effective (when not 0)
    instance_globals: dict[str, InstanceValue] = field(default_factory=dict)
    info: "TargetCpuModels | None" = None  # the target's CPU models


@record(eq=False)
class TargetCpuModels:
    """The CPU models one target's binary registers."""

    models: CpuModels
    sets: FeatureSets
    definitions: list[CpuDefinition]  # those this binary builds, table order
    host: CpuDefinition | None
    default_qemu: QemuModel | None

    def host_features(self) -> int:
        return self.sets.default_set(self.host) if self.host is not None else 0

    def host_recommended(self) -> dict:
        """The host model minus deprecated features, query-cpu-model-expansion
        shaped: the static expansion of the host model with each deprecated
        feature it has set to false, and those features as deprecated-props."""
        host = self.host
        if host is None:
            return {}
        features = self.host_features()
        model = static_expansion(self.sets, host, features)
        dropped = deprecated_props(self.sets, features)
        props = dict(model["props"])
        props.update({name: False for name in dropped})
        recommended = features & ~self.sets.deprecated
        return {
            "host-model": host.name,
            "model": {"name": model["name"], "props": dict(sorted(props.items()))},
            "deprecated-props": dropped,
            "features": self.sets.expand(recommended),
        }


def _value(value: Value) -> object:
    if value.kind == "bool":
        return value.text == "true"
    if value.kind == "int":
        return numbers.parse_int(value.text)
    return value.text


def attach(resolved) -> None:
    """Give every resolved target with CPU models its TargetCpuModels and each
    of its machines its MachineCpuModels (resolve.py calls this)."""
    corpus = resolved.corpus
    for resolved_target in resolved.targets.values():
        target = resolved_target.target
        models = models_for_target(corpus, target)
        if models is None:
            continue
        sets = feature_sets(models)
        built = [
            d
            for d in models.definitions.values()
            if guards.build_true(d.guard, resolved.config, target)
        ]
        host = models.definitions.get(models.host_model[0]) if models.host_model else None
        default_qemu = None
        if models.qemu_default is not None:
            name, qemu_list, location = models.qemu_default
            default_qemu = QemuModel(models.definitions[name], qemu_list, None, location)
        info = TargetCpuModels(models, sets, built, host, default_qemu)
        resolved_target.cpu_models = info
        memo: dict[int, MachineCpuModels] = {}
        for resolved_machine in resolved_target.machines:
            resolved_machine.cpu_models = machine_state(
                corpus, info, resolved_machine.machine, memo
            )


def machine_state(
    corpus: Corpus, info: TargetCpuModels, machine: Machine, memo: dict | None = None
) -> MachineCpuModels:
    """The machine's state: its parent's (the newer version's instance options
    ran first), then its own statements."""
    memo = {} if memo is None else memo
    cached = memo.get(id(machine))
    if cached is not None:
        return cached
    if machine.parent is not None:
        base = machine_state(corpus, info, machine.parent, memo)
        state = MachineCpuModels(
            list(base.featoffs),
            base.qemu_model,
            dict(base.defaults),
            {},
            dict(base.instance_globals),
        )
    else:
        state = MachineCpuModels(
            [],
            info.default_qemu,
            {d.name: info.sets.default_set(d) for d in info.definitions},
            {},
            {},
        )
    for stmt in machine.instance_options:
        if isinstance(stmt, CpuFeatOff):
            state.featoffs.append(AppliedFeatOff(stmt, machine.name))
            off = info.sets.mask_of(name for name, _ in stmt.names)
            for definition in info.definitions:
                if definition.level >= stmt.level:
                    state.defaults[definition.name] &= ~off
        elif isinstance(stmt, CpuQemuModelSet):
            definition = info.models.definitions[stmt.definition]
            state.qemu_model = QemuModel(definition, stmt.qemu_list, machine.name, stmt.location)
        elif isinstance(stmt, InstanceSet):
            state.instance_globals[stmt.name] = InstanceValue(
                stmt.name, _value(stmt.value), machine.name, stmt.location
            )
    state.info = info
    for definition in info.definitions:
        lost = info.sets.default_set(definition) & ~state.defaults[definition.name]
        if lost:
            state.removed[definition.name] = lost
    memo[id(machine)] = state
    return state


# ---- JSON facts ------------------------------------------------------------------------


def qemu_model_json(info: TargetCpuModels, model: QemuModel | None) -> dict | None:
    if model is None:
        return None
    definition = model.definition
    return {
        "definition": definition.name,
        "type": definition.type,
        "gen": definition.gen,
        "ga": definition.ga,
        "feature-list": model.qemu_list,
        "features": info.sets.expand(info.sets.qemu_lists.get(model.qemu_list, 0)),
        "set-by": model.set_by,
    }


def machine_json(info: TargetCpuModels, state: MachineCpuModels) -> dict:
    """A machine's effective CPU-model defaults, for the JSON backend."""
    sets = info.sets
    featoffs = []
    for applied in state.featoffs:
        featoff = applied.featoff
        names = [name for name, _ in featoff.names]
        featoffs.append(
            {
                "gen": featoff.level[0],
                "ga": featoff.level[1],
                "kind": "group" if featoff.group else "feature",
                "names": names,
                "features": sets.expand(sets.mask_of(names)),
                "set-by": applied.set_by,
            }
        )
    return {
        "qemu-model": qemu_model_json(info, state.qemu_model),
        "featoff": featoffs,
        "default-features-removed": {
            name: sets.expand(mask) for name, mask in state.removed.items()
        },
    }


def instance_globals_json(state: MachineCpuModels) -> dict:
    return {
        name: {
            "value": value.value,
            "set-by": value.set_by,
        }
        for name, value in sorted(state.instance_globals.items())
    }


def target_json(info: TargetCpuModels) -> dict:
    """The facts no machine changes: features, groups, definitions, the
    compiled cumulative sets, the 'qemu' lists and the host-recommended
    expansion."""
    models, sets = info.models, info.sets
    levels_used = []
    for definition in info.definitions:
        if definition.level not in levels_used:
            levels_used.append(definition.level)
    return {
        "deprecated-features": [name for name, _ in models.deprecated],
        "default-qemu-model": qemu_model_json(info, info.default_qemu),
        "host-model": info.host.name if info.host else None,
        "host-recommended": info.host_recommended(),
        "features": [
            {
                "name": f.name,
                "enum": f"S390_FEAT_{f.enum}",
                "description": f.description,
                "deprecated": f.deprecated,
            }
            for f in models.features.values()
        ],
        "groups": [
            {
                "name": g.name,
                "enum": f"S390_FEAT_GROUP_{g.enum}",
                "description": g.description,
                "features": sets.expand(sets.groups[g.name]),
            }
            for g in models.groups.values()
        ],
        "definitions": [
            {
                "name": d.name,
                "type": d.type,
                "gen": d.gen,
                "ga": d.ga,
                "description": d.description,
                "mha-pow": d.mha_pow,
                "hmfai": d.hmfai,
                "feature-sets": gen_ga_text(d.level),
                **({"guard": d.guard.to_json()} if d.guard is not None else {}),
            }
            for d in info.definitions
        ],
        "feature-sets": {
            gen_ga_text(level): {kind: sets.expand(sets.levels[level][kind]) for kind in SET_KINDS}
            for level in levels_used
        },
        "qemu-feature-lists": {name: sets.expand(mask) for name, mask in sets.qemu_lists.items()},
    }
