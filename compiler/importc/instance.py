"""Instance options: what QEMU runs when it creates a machine besides its
family's init -- s390x's ccw_machine_X_Y_instance_options, called from the
machine's init (QEMU 9.1+: mc->init) or its TypeInfo's instance_init (7.x).
Each first calls the next newer version's, so their changes accumulate as
the machine chain's do; what a version's own function does after that call
is the machine's:

    s390_cpudef_featoff_greater(16, 1, S390_FEAT_PAIE)    cpu-featoff gen16.1 paie
    s390_cpudef_group_featoff_greater(14, 1, S390_FEAT_GROUP_MULTIPLE_EPOCH_PTFF)
                                                          cpu-group-featoff gen14.1 mepochptff
    s390_set_qemu_cpu_model(0x8561, 15, 1, qemu_cpu_feat) cpu-qemu-model gen15a QEMU_V7_1
    css_migration_enabled = false                         instance css_migration_enabled = false

Consecutive featoffs of one generation/GA are one statement, as machines/
writes them.  The feature, group and definition names come from the
target's CPU models (cpumodels.py); the C globals' types and defaults from
the file that defines them (vocabulary.json 'instance-globals' says which)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Location
from . import model
from .cvalues import CBool, CEnum, CInt
from .machinetypes import MachineType
from .program import Function, Stmt, one_line

if TYPE_CHECKING:
    from .extract import Importer

FEATOFF = {
    "s390_cpudef_featoff_greater": "cpu-featoff",
    "s390_cpudef_group_featoff_greater": "cpu-group-featoff",
}
QEMU_MODEL = "s390_set_qemu_cpu_model"


def add_instance_options(imp: Importer, machines: list[MachineType]) -> None:
    functions = {m.name: instance_function(imp, m) for m in machines}
    for machine in machines:
        function = functions[machine.name]
        if function is None:
            continue
        newer = functions.get(machine.parent.name) if machine.parent is not None else None
        stmts = list(function.stmts)
        first = stmts[0] if stmts else None
        if first is not None and first.kind == "call" and is_instance_options(imp, first):
            if imp.program.functions[first.callee] is not newer:
                imp.error(
                    first.location,
                    f"{machine.name}: its instance options run those of another machine "
                    "than the one its class options inherit",
                )
            stmts = stmts[1:]
        elif newer is not None:
            imp.error(
                function.location,
                f"{machine.name}: its instance options do not begin with those of "
                f"{machine.parent.name}",
            )
        block = imp.machine_blocks.get(machine.name)
        for stmt in stmts:
            translated = translate(imp, machine, function, stmt)
            if translated is not None and block is not None:
                add(block.instance, translated)


def instance_function(imp: Importer, machine: MachineType) -> Function | None:
    """The instance options function the machine's init functions call."""
    for init in machine.init_functions:
        for stmt in init.stmts:
            if stmt.kind == "call" and is_instance_options(imp, stmt):
                return imp.program.functions[stmt.callee]
    return None


def is_instance_options(imp: Importer, stmt: Stmt) -> bool:
    function = imp.program.functions.get(stmt.callee)
    return function is not None and function.name.endswith("_instance_options")


def add(statements: list[model.InstanceStmt], new: model.InstanceStmt) -> None:
    """Append, merging a featoff into the one before it of the same kind and
    generation/GA (s390_cpudef_featoff_greater(16, 1, ...) five times)."""
    last = statements[-1] if statements else None
    if (
        last is not None
        and new.kind in FEATOFF.values()
        and last.kind == new.kind
        and last.level == new.level
        and not new.comment
    ):
        last.names += new.names
        return
    statements.append(new)


def translate(imp: Importer, machine: MachineType, function: Function, stmt: Stmt):
    """The statement of the language a C statement of instance options is,
    or None after reporting why it cannot be one."""
    what = f"{machine.name}: cannot translate the instance option '{one_line(stmt.text)}'"
    if stmt.cond is not None:
        imp.error(stmt.location, f"{what}: it is under #if")
        return None
    if stmt.kind == "call" and (stmt.callee in FEATOFF or stmt.callee == QEMU_MODEL):
        if imp.cpu_models is None:
            imp.error(stmt.location, f"{what}: the target has no CPU models")
            return None
        values = [imp.evaluator.evaluate(arg) for arg in stmt.args]
        numbers = tuple(v.value if isinstance(v, CInt) else None for v in values[:3])
        if stmt.callee in FEATOFF and len(values) == 3 and None not in numbers[:2]:
            return featoff(imp, stmt, numbers[:2], values[2], what)
        if stmt.callee == QEMU_MODEL and len(values) == 4 and None not in numbers:
            return qemu_model(imp, function, stmt, numbers)
    if stmt.kind == "assign" and "->" not in stmt.lvalue and "." not in stmt.lvalue:
        declared = instance_global(imp, stmt.lvalue, stmt.location, machine.file)
        if declared is not None and isinstance(stmt.value, (CBool, CInt)):
            value = value_text(stmt.value, declared.type)
            return with_comment(
                model.InstanceStmt("instance", stmt.location, name=stmt.lvalue, value=value), stmt
            )
        if declared is not None:
            imp.error(stmt.location, f"{what}: not a constant")
        return None
    imp.error(stmt.location, what)
    return None


def featoff(imp: Importer, stmt: Stmt, level: tuple, feature, what: str):
    """s390_cpudef_featoff_greater(gen, ga, S390_FEAT_X) and its group form."""
    group = stmt.callee == "s390_cpudef_group_featoff_greater"
    enum = feature.name if isinstance(feature, CEnum) else ""
    prefix = "S390_FEAT_GROUP_" if group else "S390_FEAT_"
    table = imp.cpu_models.groups if group else imp.cpu_models.features
    name = table.get(enum[len(prefix) :]) if enum.startswith(prefix) else None
    if name is None:
        written = enum or stmt.args[2].text.decode()
        kind = "CPU feature group" if group else "CPU feature"
        imp.error(stmt.location, f"{what}: {written} is no {kind} of target/s390x")
        return None
    return with_comment(
        model.InstanceStmt(FEATOFF[stmt.callee], stmt.location, level=level, names=[name]), stmt
    )


def qemu_model(imp: Importer, function: Function, stmt: Stmt, numbers: tuple):
    """s390_set_qemu_cpu_model(type, gen, ga, init), init a local
    'static const S390FeatInit x = { S390_FEAT_LIST_QEMU_V7_1 }'."""
    init = function.locals.get(stmt.args[3].text.decode())
    first = init[0] if isinstance(init, list) and init else None
    qemu_list = first.name if isinstance(first, CEnum) else ""
    found = imp.cpu_models.qemu_model_of(numbers, qemu_list, stmt.location)
    if found is None:
        return None
    definition, name = found
    return with_comment(
        model.InstanceStmt("cpu-qemu-model", stmt.location, definition=definition, qemu_list=name),
        stmt,
    )


def with_comment(new: model.InstanceStmt, stmt: Stmt) -> model.InstanceStmt:
    new.comment, new.comment_above = stmt.comment, stmt.comment_above
    return new


def value_text(value, type_name: str) -> str:
    if type_name == "bool" or isinstance(value, CBool):
        return "true" if value.value else "false"
    return value.text


def instance_global(
    imp: Importer, name: str, where: Location, mtc_file: str
) -> model.InstanceGlobal | None:
    """The declaration of a C global instance options set: its type and
    default from the file the vocabulary says defines it."""
    if name in imp.out.instance_globals:
        return imp.out.instance_globals[name]
    facts = imp.vocab.get("instance-globals", {}).get(name)
    if facts is None:
        imp.error(
            where,
            f"instance options set the C global {name}, which the vocabulary does not "
            "describe (vocabulary.json 'instance-globals')",
        )
        return None
    if not imp.source.exists(facts["file"]):
        imp.error(where, f"{facts['file']}, where {name} is defined: no such file")
        return None
    cfile = imp.source.parse(facts["file"])
    for node in cfile.root.children:
        if node.type != "declaration":
            continue
        for init in node.children_by_field_name("declarator"):
            declarator = init.child_by_field_name("declarator")
            value = init.child_by_field_name("value")
            if init.type != "init_declarator" or cfile.text(declarator) != name:
                continue
            c_type = cfile.text(node.child_by_field_name("type"))
            default = imp.evaluator.evaluate(value)
            type_name = {"bool": "bool", "int": "int", "unsigned": "int"}.get(c_type)
            if type_name is None or not isinstance(default, (CBool, CInt)):
                imp.error(cfile.location(node), f"cannot translate the global {name}")
                return None
            declared = model.InstanceGlobal(
                name,
                type_name,
                value_text(default, type_name),
                facts["desc"],
                mtc_file,
                facts["file"],
                cfile.location(node),
            )
            imp.out.instance_globals[name] = declared
            return declared
    imp.error(where, f"{facts['file']} does not define {name} with a value")
    return None
