"""compiler/records.py: the records mtc's model, checks and backends are
made of behave as the @dataclass classes they replaced did."""

import pytest

from mtc.records import FrozenRecordError, field, record, replace


@record
class Item:
    """A record with each kind of field."""

    name: str
    tags: list = field(default_factory=list)
    note: str = "none"
    secret: int = field(default=7, repr=False)


@record(frozen=True)
class Key:
    kind: str
    value: int = 0


@record(eq=False)
class Node:
    name: str


@record(frozen=True)
class Ordered:
    parts: tuple

    def __eq__(self, other):  # the body's own methods stay
        return isinstance(other, Ordered) and self.parts[:1] == other.parts[:1]

    def __hash__(self):
        return hash(self.parts[:1])

    def __repr__(self):
        return "Ordered!"


def test_fields_defaults_and_fresh_factories():
    a, b = Item("a"), Item("b", note="x")
    assert (a.name, a.tags, a.note, a.secret) == ("a", [], "none", 7)
    a.tags.append(1)
    assert b.tags == [] and Item("c").tags == []
    assert b.note == "x"
    assert Item.__record_fields__ == ("name", "tags", "note", "secret")
    assert Item.note == "none"  # a plain default stays on the class
    assert "tags" not in Item.__dict__  # a factory does not


def test_positional_and_keyword_arguments_as_dataclass():
    assert Item("a", [1], "n", 3).secret == 3
    with pytest.raises(TypeError):
        Item()
    with pytest.raises(TypeError):
        Item("a", bogus=1)


def test_repr_leaves_out_repr_false_fields():
    assert repr(Item("a")) == "Item(name='a', tags=[], note='none')"
    assert repr(Ordered((1, 2))) == "Ordered!"


def test_eq_by_value_and_unhashable_unless_frozen():
    assert Item("a") == Item("a")
    assert Item("a") != Item("a", note="other")
    assert Item("a") != "a"
    with pytest.raises(TypeError):
        hash(Item("a"))


def test_frozen_records_are_values():
    assert Key("k", 1) == Key("k", 1) and Key("k", 1) != Key("k", 2)
    assert {Key("k", 1): "found"}[Key("k", 1)] == "found"
    assert len({Key("k"), Key("k"), Key("j")}) == 2
    with pytest.raises(FrozenRecordError):
        Key("k").value = 3
    with pytest.raises(AttributeError):
        del Key("k").kind


def test_identity_records():
    one = Node("n")
    assert one == one and Node("n") != Node("n")
    assert len({Node("n"), Node("n")}) == 2


def test_methods_the_class_defines_are_kept():
    assert Ordered((1, 2)) == Ordered((1, 3))
    assert hash(Ordered((1, 2))) == hash(Ordered((1, 5)))


def test_replace_goes_through_init():
    a = Item("a", note="x")
    b = replace(a, name="b")
    assert (b.name, b.note) == ("b", "x") and a.name == "a"
    assert replace(Key("k", 1), value=2) == Key("k", 2)


def test_a_record_does_not_extend_a_record():
    with pytest.raises(TypeError):

        @record
        class More(Item):
            extra: int = 0
