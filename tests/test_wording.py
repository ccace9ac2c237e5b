"""Path steps name the branch taken as the C condition that held, the way a reviewer writes it."""

from __future__ import annotations

import pytest

from reviewkit.flow.wording import taken


@pytest.mark.parametrize(
    ("cond", "value", "want"),
    [
        ("err", True, "err"),
        ("err", False, "!err"),
        ("!page", False, "page"),
        ("ret < 0", False, "ret >= 0"),
        ("a->n >= b->m", False, "a->n < b->m"),
        ("mm != &init_mm", False, "mm == &init_mm"),
        ("(x == 1)", False, "x != 1"),
        ("IS_ERR(p)", False, "!IS_ERR(p)"),
        ("!list_empty(&q->list)", False, "list_empty(&q->list)"),
        ("p->x[i]", False, "!p->x[i]"),
        ("a && b", False, "!(a && b)"),
        ("!(a || b)", False, "a || b"),
        ("flags & (F_A | F_B)", False, "!(flags & (F_A | F_B))"),
        ("(ret = f(x)) < 0", False, "!((ret = f(x)) < 0)"),
        ("f(a, b) < 0", False, "f(a, b) >= 0"),
        ("a\n\t    && b", True, "a && b"),
    ],
)
def test_condition_as_taken(cond: str, value: bool, want: str) -> None:
    assert taken(cond, value) == want
