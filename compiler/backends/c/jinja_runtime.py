"""What the C backend's compiled templates call at run time, without Jinja.

Jinja compiles a template to a Python module whose root() yields the text;
at run time that module calls a few names of jinja2.runtime and a few
methods of the environment and context.  Importing Jinja costs a build
about 40 ms, more than rendering every template, so templategen.py writes
the compiled modules to import those names from here instead, and
templates.py runs them with the objects below.  Only what the committed
modules use is provided (templategen refuses a template that needs more),
with Jinja's semantics under mtc's options: StrictUndefined, no
autoescaping, no finalize.  tests/test_compiled_templates.py renders every
template both ways and compares the bytes.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator


class _Missing:
    def __repr__(self) -> str:
        return "missing"


# What a name that is not in the render's variables resolves to.
missing: Any = _Missing()


class UndefinedError(Exception):
    """A template used a name or attribute it was not given."""


class Undefined:
    """Jinja's StrictUndefined: any use but passing it on is an error."""

    __slots__ = ("_name",)

    def __init__(self, hint: str | None = None, obj: Any = missing, name: str | None = None):
        self._name = name

    def _fail(self, *args, **kwargs):
        raise UndefinedError(f"{self._name!r} is undefined")

    __str__ = __iter__ = __bool__ = __len__ = __eq__ = __ne__ = __hash__ = _fail
    __getattr__ = __getitem__ = __add__ = __radd__ = __contains__ = _fail


class LoopContext:
    """The `loop` variable of a for loop: first, last, index, index0, length."""

    def __init__(self, iterable: Iterable, undefined: type, recurse=None, depth0: int = 0):
        self._items = list(iterable)
        self.length = len(self._items)
        self.index0 = -1

    @property
    def index(self) -> int:
        return self.index0 + 1

    @property
    def first(self) -> bool:
        return self.index0 == 0

    @property
    def last(self) -> bool:
        return self.index0 == self.length - 1

    def __iter__(self) -> Iterator[tuple[Any, "LoopContext"]]:
        for item in self._items:
            self.index0 += 1
            yield item, self


class Environment:
    """The environment a compiled module sees as its global `environment`."""

    undefined = Undefined
    concat = "".join

    @staticmethod
    def getattr(obj: Any, attribute: str) -> Any:
        """obj.attribute, else obj[attribute], as Jinja looks them up."""
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError):
            return Undefined(obj=obj, name=attribute)


class Context:
    """The variables of one render."""

    __slots__ = ("variables",)

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables

    def resolve_or_missing(self, name: str) -> Any:
        return self.variables.get(name, missing)


# Every name a compiled module may import from here (templategen checks).
PROVIDED = frozenset({"LoopContext", "Undefined", "missing"})
ENVIRONMENT_METHODS = frozenset({"getattr", "undefined", "concat"})
CONTEXT_METHODS = frozenset({"resolve_or_missing"})
