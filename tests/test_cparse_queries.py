"""The parse layer's queries find what a walk of every node finds (they replaced such walks for speed).

Each query is checked against a plain Python walk of the same synthetic code, so a grammar field name
that changes, or a pattern that misses a nesting, fails here and not as a silent change of findings.
"""

from __future__ import annotations

import dataclasses

from reviewkit.cparse.parse import Node, Parsed, declared, descendants, iter_calls, parse
from reviewkit.locks.syntax import _walk  # (a plain walk of every node: the reference the queries replaced)

SOURCE = b"""
static int demo(struct foo *fp, int n, char **names, struct bar b)
{
	struct item *it = first_item(fp), *next;
	int i, total = 0;
	unsigned long flags;

	spin_lock_irqsave(&fp->lock, flags);
	for (struct item *cur = it; cur; cur = next_item(cur)) {
		total += weigh(cur, helper(n, clamp(i, 0, 4)));
		if (check(cur) && other(cur->x))
			i++;
	}
	list_for_each_entry(it, &fp->items, node) {
		total -= it->size;
	}
	spin_unlock_irqrestore(&fp->lock, flags);
	return total ? finish(total) : 0;
}
"""


def _parsed() -> tuple[Parsed, Node]:
    parsed = parse(SOURCE)
    fn = parsed.functions()[0]
    return parsed, fn.node


def test_calls_come_in_source_order_with_nested_calls_after_their_caller() -> None:
    parsed, node = _parsed()
    names = [c.name for c in iter_calls(parsed, node)]
    walked = [
        n
        for n in _walk(node)
        if n.type == "call_expression" and (fn := n.child_by_field_name("function")) is not None
        if fn.type == "identifier"
    ]
    assert len(names) == len(walked)
    assert names[:2] == ["first_item", "spin_lock_irqsave"]
    assert names.index("weigh") < names.index("helper") < names.index("clamp")
    assert "list_for_each_entry" in names  # the iterator macro keeps its own name
    assert names[-1] == "finish"


def test_calls_of_a_call_include_the_call_itself() -> None:
    parsed, node = _parsed()
    first = next(c for c in iter_calls(parsed, node) if c.name == "weigh")
    assert [c.name for c in iter_calls(parsed, first.node)] == ["weigh", "helper", "clamp"]
    assert next(c.args for c in iter_calls(parsed, first.node)) == ("cur", "helper(n, clamp(i, 0, 4))")


def test_declared_names_split_pointers_from_values() -> None:
    parsed, node = _parsed()
    got = declared(parsed, node)
    # ``char **names`` is a pointer to a pointer: no plain pointer declarator around a name
    assert got["pointer"] == {"fp", "it", "next", "cur"}
    assert got["value"] == {"n", "b", "i", "total", "flags"}


def test_descendants_are_the_walk_filtered_by_type() -> None:
    _parsed_source, node = _parsed()
    types = ("assignment_expression", "update_expression", "init_declarator")
    by_query = sorted((n.start_byte, n.type) for n in descendants(node, types))
    by_walk = sorted((n.start_byte, n.type) for n in _walk(node) if n.type in types)
    assert by_query == by_walk
    assert len(by_query) >= 5


def test_a_hold_hashes_by_the_fields_it_compares() -> None:
    from reviewkit.locks import model

    cls = model.Held.__wrapped__  # type: ignore[attr-defined]  # (``Held`` is wrapped in a small constructor cache)
    compared = [f.name for f in dataclasses.fields(cls) if f.compare]
    one = cls("fp->lock", "spin", "irqsave", 7, "spin_lock_irqsave", flags="flags")
    witness = dataclasses.replace(one, line=9, call="spin_lock", src="x", handoff=True)
    assert one == witness and hash(one) == hash(witness)
    for name in compared:
        value = getattr(one, name)
        other: object = "z"
        if isinstance(value, bool):
            other = not value
        elif isinstance(value, int):
            other = value + 1
        elif isinstance(value, str):
            other = value + "x"
        elif isinstance(value, frozenset):
            other = frozenset({"q"})
        changed = dataclasses.replace(one, **{name: other})
        assert changed != one, name
        assert hash(changed) != hash(one), name
