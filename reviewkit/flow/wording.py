"""A branch a path took, written as the C condition that held: ``!err``, not "`err` is false".

Path steps are read by kernel developers, who read conditions as C.  "`ret < 0` is
false" makes the reader negate in their head; ``ret >= 0`` is what they would
write in a review.  Only a condition whose negation is unambiguous as text is
rewritten (a single comparison, a ``!x``, a plain operand); anything else, such as
``a && b``, becomes ``!(a && b)``.
"""

from __future__ import annotations

import re

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_CMP = re.compile(r"^(?P<lhs>[^<>=!]+?)\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<rhs>[^<>=!]+)$")
_OPERAND = re.compile(r"^[\w.\->\[\]&*]+(\([^()]*(\([^()]*\)[^()]*)*\))?$")


def _balanced(text: str) -> bool:
    """Whether ``text`` is one parenthesised group from its first character to its last."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def taken(condition: str, value: bool) -> str:
    """``condition`` as the C expression that is true on the path (``value``: the branch taken)."""
    text = " ".join(condition.split())
    while _balanced(text):
        text = text[1:-1].strip()
    if value:
        return text
    if text.startswith("!") and not text.startswith("!=") and (_OPERAND.match(text[1:]) or _balanced(text[1:])):
        inner = text[1:].strip()
        return inner[1:-1].strip() if _balanced(inner) else inner
    arrowless = text.replace("->", "\0")  # a member access is no comparison
    if "&&" not in text and "||" not in text and "?" not in text:
        m = _CMP.match(arrowless)
        if m and sum(arrowless.count(c) for c in "=<>") <= 2 and "(" not in m.group("op"):
            lhs, rhs = (m.group(k).strip().replace("\0", "->") for k in ("lhs", "rhs"))
            return f"{lhs} {_NEGATED[m.group('op')]} {rhs}"
        if _OPERAND.match(text):
            return f"!{text}"
    return f"!({text})"
