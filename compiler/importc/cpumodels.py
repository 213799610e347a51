"""s390x CPU models: the `cpu-models s390x { ... }` block, read from
target/s390x the way QEMU builds it:

- features: the DEF_FEAT lines of cpu_features_def.h.inc, expanded with
  cpu_features.c's DEF_FEAT (name, description; enum order is bit order);
- groups: cpu_features.c's s390_feature_groups[] (name, description, the
  S390_FEAT_GROUP_LIST_* it is initialised from), their members from
  gen-features.c's FeatGroupDef[] and S390_FEAT_GROUP_* lists;
- deprecated features: the list s390_get_deprecated_features() sets
  (QEMU 9.1 and newer);
- CPU definitions: cpu_models.c's s390_cpu_defs[], each CPUDEF_INIT
  expanded, with the #if it sits under as its guard;
- what each generation/GA adds to the base, default and full sets: the
  base_/default_/full_ arrays of gen-features.c's CpuFeatDef[] entries, and
  what print_feature_defs() clears before a level (gen15: csske, bpb);
- the 'qemu' model lists: QemuFeatDef[] and its qemu_* arrays;
- the 'qemu' model no machine rebased: cpu_models.c's own
  s390_set_qemu_cpu_model() call (QEMU_MAX_CPU_TYPE/GEN/EC_GA).

What libvirt's host-model stands for is no fact of the C: the vocabulary
says (the first definition of the newest generation/GA).  A list entry that
is a whole group's S390_FEAT_GROUP_* list is written as the group's name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..diagnostics import Location
from . import guards, model
from .csource import parse_text
from .ctables import TableFile, arguments, array_declarations, calls, designated, local_arrays
from .cvalues import CInt, CStr
from .program import comment_text

if TYPE_CHECKING:
    from .extract import Importer

SET_KINDS = ("base", "default", "full")
LEVEL_NAME = re.compile(r"S390_FEAT_LIST_GEN(\d+)_GA(\d+)")
FEATURE_LIST = "S390_FEAT_LIST_"
# print_feature_defs(): each level's base list adds to all three sets,
# its default and full lists to their own (mtc's cpu-models block computes
# the sets so); its bitmaps by the set they build.
ACCUMULATION = {
    ("base_feat", "base_bits"),
    ("default_feat", "base_bits"),
    ("default_feat", "default_bits"),
    ("full_feat", "base_bits"),
    ("full_feat", "full_bits"),
}
BITMAPS = {"base_feat": "base", "default_feat": "default", "full_feat": "full"}


# The vocabulary's names for the files, in the order they are read.
FILES = ("features", "feature-defs", "sets", "definitions")


def files_of(spec: dict) -> list[str]:
    """The files of target/ a kind's CPU models are read from."""
    files = spec.get("cpu-models")
    return [files[key] for key in FILES] if files else []


class CpuModelReader:
    """Reads the four files and keeps what the instance options need: the
    features and groups by enum, the definitions by type, generation, GA."""

    def __init__(self, imp: Importer, spec: dict):
        self.imp = imp
        self.spec = spec["cpu-models"]
        self.out = model.CpuModels(spec["targets"][0], f"{spec['dir']}/cpu-models.mtc")
        self.features: dict[str, str] = {}  # enum (ESAN3) -> name
        self.groups: dict[str, str] = {}  # enum (MULTIPLE_EPOCH_PTFF) -> name
        self.members: dict[str, list[str]] = {}  # group name -> its features
        self.definitions: dict[tuple[int, int, int], str] = {}  # (type, gen, ga) -> name
        self.tables = {key: TableFile.read(imp.source.parse(self.spec[key])) for key in FILES}
        self.out.sources = [self.spec[key] for key in FILES]

    def error(self, location: Location, message: str) -> None:
        self.imp.error(location, message)

    def read(self) -> model.CpuModels:
        self.read_features()
        self.read_groups()
        self.read_deprecated()
        self.read_definitions()
        self.read_levels()
        self.read_qemu_lists()
        self.read_qemu_model()
        self.choose_host_model()
        return self.out

    # -- features and groups -------------------------------------------------------

    def read_features(self) -> None:
        table = self.tables["features"]
        elements = table.elements(table.cfile.root)
        entries = table.expand(elements, self.tables["feature-defs"].macros)
        for element, entry in zip(elements, entries):
            if not self.unconditional(element):
                continue
            fields = designated(entry.child_by_field_name("value")) if entry else {}
            designator = entry.child_by_field_name("designator") if entry else None
            name, desc = self.string(fields.get("name")), self.string(fields.get("desc"))
            enum = designator.text.decode().strip("[]") if designator is not None else ""
            if not enum.startswith("S390_FEAT_") or name is None or desc is None:
                self.error(element.location, "cannot read this CPU feature definition")
                continue
            enum = enum[len("S390_FEAT_") :]
            self.features[enum] = name
            self.out.features.append(model.CpuFeature(name, enum, desc, element.location))

    def read_groups(self) -> None:
        sets = self.tables["sets"]
        by_list: dict[str, tuple[str, list[str]]] = {}  # S390_FEAT_GROUP_LIST_X -> enum, members
        for element, entry in self.entries(sets, "FeatGroupDef"):
            fields = designated(entry)
            list_name = self.string(fields.get("name"))
            enum = self.string(fields.get("enum_name")) or ""
            data = fields.get("bits.data")
            if list_name is None or not enum.startswith("S390_FEAT_GROUP_") or data is None:
                self.error(element.location, "cannot read this feature group list")
                continue
            members = self.list_names(sets, data.text.decode(), element.location, groups=False)
            by_list[list_name] = (enum, members)
        table = self.tables["feature-defs"]
        for element, entry in self.entries(table, "s390_feature_groups"):
            fields = designated(entry)
            name, desc = self.string(fields.get("name")), self.string(fields.get("desc"))
            init = fields.get("init")
            list_name = init.named_children[0].text.decode() if init and init.named_children else ""
            if name is None or desc is None or list_name not in by_list:
                self.error(element.location, "cannot read this feature group")
                continue
            enum, members = by_list[list_name]
            enum = enum[len("S390_FEAT_GROUP_") :]
            self.groups[enum] = name
            self.members[name] = members
            self.out.groups.append(model.CpuGroup(name, enum, desc, members, element.location))

    def read_deprecated(self) -> None:
        """s390_get_deprecated_features() (QEMU 9.1 and newer): the features
        of its one local list."""
        table = self.tables["feature-defs"]
        function = table.functions.get("s390_get_deprecated_features")
        if function is None:
            return  # QEMU before 9.1 deprecates no CPU feature
        lists = list(local_arrays(function).values())
        if len(lists) != 1:
            self.error(table.location(function), "cannot find the list of deprecated features")
            return
        for element in table.elements(lists[0]):
            self.out.deprecated += self.names(table, element, groups=False)

    # -- CPU definitions -------------------------------------------------------------

    def read_definitions(self) -> None:
        table = self.tables["definitions"]
        for element, entry in self.entries(table, "s390_cpu_defs"):
            folded = guards.fold(self.imp, element.cond)
            if folded is False:
                continue  # only in user-mode emulators
            fields = designated(entry)
            values = {key: table.evaluator.evaluate(fields.get(key)) for key in fields}
            name, desc = values.get("name"), values.get("desc")
            numbers = [values.get(key) for key in ("type", "gen", "ec_ga", "mha_pow", "hmfai")]
            if not all(isinstance(v, CInt) for v in numbers) or not (
                isinstance(name, CStr) and isinstance(desc, CStr)
            ):
                self.error(element.location, "cannot read this CPU definition")
                continue
            cpu_type, gen, ga, mha_pow, hmfai = numbers
            definition = model.CpuDefinition(
                name.text,
                cpu_type.text,
                (gen.value, ga.value),
                desc.text,
                mha_pow.value,
                hmfai.text,
                element.location,
                guards.guard(self.imp, element.cond, element.location),
            )
            self.out.definitions.append(definition)
            self.definitions.setdefault((cpu_type.value, gen.value, ga.value), name.text)

    def read_qemu_model(self) -> None:
        """The 'qemu' model QEMU registers before any machine rebases it:
        cpu_models.c's own call of s390_set_qemu_cpu_model()."""
        table = self.tables["definitions"]
        found = []
        for name, function in table.functions.items():
            if name == "s390_set_qemu_cpu_model":
                continue
            for call in calls(function, "s390_set_qemu_cpu_model"):
                if guards.fold(self.imp, table.cfile.condition_at(call)) is not False:
                    found.append((function, call))
        if len(found) != 1:
            where = Location(table.cfile.shown)
            self.error(where, f"expected one call of s390_set_qemu_cpu_model(), found {len(found)}")
            return
        function, call = found[0]
        qemu_model = self.qemu_model(table, function, call)
        if qemu_model is not None:
            self.out.qemu_model = qemu_model

    def qemu_model(self, table: TableFile, function, call) -> tuple[str, str] | None:
        """(definition, 'qemu' list) of a s390_set_qemu_cpu_model(type, gen,
        ga, init) call whose init is a local { S390_FEAT_LIST_QEMU_X }."""
        args = arguments(call)
        where = table.location(call)
        numbers = [table.evaluator.evaluate(a) for a in args[:3]]
        if len(args) != 4 or not all(isinstance(n, CInt) for n in numbers):
            self.error(where, "cannot read this s390_set_qemu_cpu_model() call")
            return None
        init = local_arrays(function).get(args[3].text.decode())
        qemu_list = init.named_children[0].text.decode() if init and init.named_children else ""
        return self.qemu_model_of(tuple(n.value for n in numbers), qemu_list, where)

    def qemu_model_of(self, key: tuple, qemu_list: str, where: Location):
        """The definition a (type, gen, ga) names and the 'qemu' list a
        S390_FEAT_LIST_QEMU_X names, or None after saying why."""
        definition = self.definitions.get(key)
        if definition is None:
            self.error(where, "no CPU definition has type 0x%x, generation %d, GA %d" % key)
            return None
        name = qemu_list[len(FEATURE_LIST) :] if qemu_list.startswith(FEATURE_LIST) else ""
        if name not in {q.name for q in self.out.qemu_lists}:
            self.error(where, f"'{qemu_list}' is no 'qemu' model feature list")
            return None
        return definition, name

    def choose_host_model(self) -> None:
        """The vocabulary's choice: the first definition of the newest level."""
        if not self.out.definitions:
            return
        newest = max(d.level for d in self.out.definitions)
        host = next(d for d in self.out.definitions if d.level == newest)
        why = self.spec["host-model"]["why"].format(release=self.imp.current, desc=host.desc)
        self.out.host_model = (host.name, why)

    # -- the sets of each generation/GA and the 'qemu' lists -----------------------

    def read_levels(self) -> None:
        sets = self.tables["sets"]
        by_level: dict[tuple[int, int], model.CpuLevel] = {}
        for element, entry in self.entries(sets, "CpuFeatDef"):
            fields = designated(entry)
            match = LEVEL_NAME.fullmatch(self.string(fields.get("name")) or "")
            data = [fields.get(f"{kind}_bits.data") for kind in SET_KINDS]
            if match is None or None in data:
                self.error(element.location, "cannot read this generation/GA")
                continue
            level = model.CpuLevel((int(match.group(1)), int(match.group(2))), element.location)
            for kind, array in zip(SET_KINDS, data):
                level.adds[kind] = self.list_names(sets, array.text.decode(), element.location)
            self.out.levels.append(level)
            by_level[level.level] = level
        self.read_clears(sets, by_level)

    def read_clears(self, sets: TableFile, by_level: dict) -> None:
        """print_feature_defs(): the loop over CpuFeatDef[] first clears
        features at a level named by strcmp(), then adds the level's lists."""
        function = sets.functions.get("print_feature_defs")
        loop = find_first(function, "for_statement") if function is not None else None
        if loop is None:
            where = sets.location(function) if function is not None else Location(sets.cfile.shown)
            self.error(where, "cannot find print_feature_defs()'s loop over the levels")
            return
        added = set()
        pending: list[str] = []
        for statement in loop.child_by_field_name("body").named_children:
            if statement.type == "comment":
                pending.append(comment_text(statement.text.decode()))
                continue
            if statement.type == "if_statement" and not added:
                self.read_clear(sets, statement, by_level, " ".join(pending) or None)
            for call in calls(statement, "set_bits"):
                args = arguments(call)
                field_node = args[1] if len(args) == 2 else None
                if field_node is not None and field_node.type == "field_expression":
                    field_name = field_node.child_by_field_name("field").text.decode()
                    added.add((args[0].text.decode(), field_name))
            pending = []
        if added != ACCUMULATION:
            self.error(
                sets.location(loop),
                "print_feature_defs() builds the base, default and full sets differently "
                "from mtc's cpu-models block (base adds to all three, default and full to "
                "their own)",
            )

    def read_clear(self, sets: TableFile, statement, by_level: dict, comment) -> None:
        strcmp = calls(statement.child_by_field_name("condition"), "strcmp")
        args = arguments(strcmp[0]) if strcmp else []
        name = sets.evaluator.evaluate(args[1]) if len(args) == 2 else None
        match = LEVEL_NAME.fullmatch(name.text) if isinstance(name, CStr) else None
        level = by_level.get((int(match.group(1)), int(match.group(2)))) if match else None
        if level is None:
            self.error(sets.location(statement), "cannot read which generation/GA this clears")
            return
        level.comment = comment
        for call in calls(statement.child_by_field_name("consequence"), "clear_bit"):
            args = arguments(call)
            kind = BITMAPS.get(args[0].text.decode()) if len(args) == 2 else None
            feature = self.feature_of(args[1].text.decode()) if kind else None
            if feature is None:
                self.error(sets.location(call), "cannot read what this clears")
                continue
            level.clears.setdefault(kind, []).append(feature)

    def read_qemu_lists(self) -> None:
        sets = self.tables["sets"]
        for element, entry in self.entries(sets, "QemuFeatDef"):
            fields = designated(entry)
            name, data = self.string(fields.get("name")), fields.get("bits.data")
            if name is None or not name.startswith(FEATURE_LIST) or data is None:
                self.error(element.location, "cannot read this 'qemu' model list")
                continue
            entries = self.list_names(sets, data.text.decode(), element.location)
            name = name[len(FEATURE_LIST) :]
            self.out.qemu_lists.append(model.CpuQemuList(name, entries, element.location))

    # -- helpers -------------------------------------------------------------------------

    def entries(self, table: TableFile, array: str):
        """(element, expanded entry) of a table written with a macro per entry."""
        initializer = table.arrays.get(array)
        if initializer is None:
            self.error(Location(table.cfile.shown), f"cannot find the table {array}[]")
            return []
        elements = table.elements(initializer)
        out = []
        for element, entry in zip(elements, table.expand(elements)):
            if entry is None:
                self.error(element.location, f"cannot read this entry of {array}[]")
            else:
                out.append((element, entry))
        return out

    def unconditional(self, element) -> bool:
        folded = guards.fold(self.imp, element.cond)
        if folded is not True and folded is not False:
            self.error(element.location, "a CPU feature under #if cannot be expressed")
        return folded is True

    def string(self, node) -> str | None:
        value = self.tables["sets"].evaluator.evaluate(node) if node is not None else None
        return value.text if isinstance(value, CStr) and value.is_plain else None

    def list_names(self, table: TableFile, array: str, where: Location, groups=True) -> list:
        """The features (and, with groups, whole groups) an array lists."""
        initializer = table.arrays.get(array)
        if initializer is None:
            self.error(where, f"cannot find the feature list {array}[]")
            return []
        out: list[str] = []
        for element in table.elements(initializer):
            out += self.names(table, element, groups)
        return out

    def names(self, table: TableFile, element, groups: bool) -> list[str]:
        if guards.fold(self.imp, element.cond) is not True:
            self.error(element.location, "a feature list entry under #if cannot be expressed")
            return []
        found = self.expand_name(table, element.node.text.decode(), groups, 0)
        if found is None:
            self.error(element.location, f"cannot read the feature '{element.node.text.decode()}'")
            return []
        return found

    def expand_name(self, table: TableFile, text: str, groups: bool, depth: int):
        """A list entry's names: a feature (S390_FEAT_X), a group's list
        written as the group, or the features a macro lists."""
        feature = self.feature_of(text)
        if feature is not None:
            return [feature]
        definitions = table.macros.get(text)
        if not definitions or definitions[0].params is not None or depth > 10:
            return None
        body = definitions[0].body.replace("\\\n", " ")
        root = parse_text(f"static int __mtc_list[] = {{ {body} }};")
        arrays = array_declarations(root.named_children[0]) if root.named_children else []
        names: list[str] = []
        for item in arrays[0][1].named_children if arrays else []:
            inner = self.expand_name(table, item.text.decode(), False, depth + 1)
            if inner is None:
                return None
            names += inner
        group = self.groups.get(text[len("S390_FEAT_GROUP_") :]) if groups else None
        if group is not None and self.members.get(group) == names:
            return [group]
        return names

    def feature_of(self, text: str) -> str | None:
        if text.startswith("S390_FEAT_"):
            return self.features.get(text[len("S390_FEAT_") :])
        return None


def find_first(node, kind: str):
    """The first node of a kind under `node`, depth first."""
    if node.type == kind:
        return node
    for child in node.named_children:
        found = find_first(child, kind)
        if found is not None:
            return found
    return None


def import_models(imp: Importer, spec: dict) -> CpuModelReader:
    reader = CpuModelReader(imp, spec)
    imp.out.cpu_models[reader.out.target] = reader.read()
    imp.out.files.setdefault(reader.out.file, ", ".join(reader.out.sources))
    return reader
