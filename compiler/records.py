"""Small typed records: the part of @dataclass mtc uses, made cheaply.

A class body of annotated fields, with defaults and field(default_factory=...,
repr=False), becomes a class with __init__, __repr__ and, unless eq=False,
__eq__ (and __hash__ when frozen) -- as @dataclass would make it.

Why not @dataclass: every mtc command is a fresh process that defines some
seventy record classes before it does anything (a build), and @dataclass
spends about 0.3 ms on each (Field objects, string checks of every
annotation, a compile per generated method) and imports inspect: half of
what a build spent importing.
record() reads the annotations, compiles one small __init__ per class and
shares everything else (__eq__ and __hash__ compare the fields read by one
operator.attrgetter).
"""

from __future__ import annotations

from operator import attrgetter

_MISSING = object()  # "no default" and "argument not given"


class RecordField:
    """A field's options; field() makes one, record() consumes it."""

    __slots__ = ("default", "default_factory", "repr")

    def __init__(self, default, default_factory, repr):
        self.default = default
        self.default_factory = default_factory
        self.repr = repr


def field(*, default=_MISSING, default_factory=_MISSING, repr: bool = True) -> RecordField:
    """As dataclasses.field(): a default, a factory making a fresh default
    for each record (list, dict, set), or a field left out of repr()."""
    return RecordField(default, default_factory, repr)


class FrozenRecordError(AttributeError):
    """Assigning to a field of a frozen record."""


def replace(record, **changes):
    """A new record like `record` with some fields changed (through __init__,
    so factories and frozen records behave)."""
    values = {name: getattr(record, name) for name in record.__record_fields__}
    values.update(changes)
    return record.__class__(**values)


def record(cls=None, /, *, frozen: bool = False, eq: bool = True):
    """Make cls a record.  eq=False: records compare by identity (the model's,
    which nothing compares field by field); frozen=True: fields cannot be
    assigned after __init__, and the record hashes by value."""

    def make(cls):
        return _make_record(cls, frozen, eq)

    return make if cls is None else make(cls)


def _make_record(cls, frozen: bool, eq: bool):
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record does not extend another record")
    names = list(cls.__dict__.get("__annotations__", {}))

    params, body, shown = [], [], []
    env: dict = {"_MISSING": _MISSING, "_set": object.__setattr__}
    for name in names:
        declared = cls.__dict__.get(name, _MISSING)
        if isinstance(declared, RecordField):
            option = declared
            # Leave on the class what @dataclass leaves: the default, if any.
            if option.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, option.default)
        else:  # a plain default, or none
            option = RecordField(declared, _MISSING, True)
        value = name
        if option.default_factory is not _MISSING:
            env[f"_factory_{name}"] = option.default_factory
            params.append(f"{name}=_MISSING")
            value = f"_factory_{name}() if {name} is _MISSING else {name}"
        elif option.default is not _MISSING:
            env[f"_default_{name}"] = option.default
            params.append(f"{name}=_default_{name}")
        else:
            params.append(name)
        if option.repr:
            shown.append(name)
        body.append(f"_set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")

    lines = [f"def __init__({', '.join(['self', *params])}):"]
    lines += [f"    {statement}" for statement in body or ["pass"]]
    namespace: dict = {}
    exec("\n".join(lines), env, namespace)

    # What the class body writes itself stays, as with @dataclass.  (A body
    # that defines __eq__ alone gets __hash__ = None from Python.)
    own = cls.__dict__
    if "__init__" not in own:
        namespace["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = namespace["__init__"]
    cls.__record_fields__ = tuple(names)
    cls.__record_shown__ = tuple(shown)
    # The field values as one tuple, read in C: what __eq__ and __hash__
    # compare (the class as well, so that one field still makes a tuple).
    cls.__record_values__ = staticmethod(attrgetter(*names, "__class__"))
    if "__repr__" not in own:
        cls.__repr__ = _repr
    if eq:
        explicit_hash = own.get("__hash__") is not None
        if "__eq__" not in own:
            cls.__eq__ = _eq
        if not explicit_hash:
            # As @dataclass: only a frozen record's value can be a key.
            cls.__hash__ = _hash if frozen else None
    if frozen:
        cls.__setattr__ = _frozen_setattr
        cls.__delattr__ = _frozen_delattr
    return cls


def _eq(self, other):
    if other.__class__ is self.__class__:
        return self.__record_values__(self) == self.__record_values__(other)
    return NotImplemented


def _hash(self) -> int:
    return hash(self.__record_values__(self))


def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{self.__class__.__qualname__}({shown})"


def _frozen_setattr(self, name, value):
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenRecordError(f"cannot delete field {name!r}")
