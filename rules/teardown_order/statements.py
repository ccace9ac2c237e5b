"""What one teardown statement does, read from its text (not a rule).

The flow engine's nodes carry statement text; teardown-order needs a few
plain facts about it: what it assigns, whether it stores NULL, whether it
takes or drops a lock.  Kept apart from the path walk in rule.py.
"""

from __future__ import annotations

import re

from reviewkit.rules._csyntax import norm_object

from reviewkit.api import CfgNode


def root_name(text: str) -> str:
    m = re.match(r"[A-Za-z_]\w*", text)
    return m.group(0) if m else ""


def lvalue(node: CfgNode) -> str:
    text = node.text.strip().rstrip(";")
    return norm_object(text.split("=", 1)[0]) if "=" in text else ""


def nulls(node: CfgNode) -> bool:
    text = node.text.strip().rstrip(";")
    return "=" in text and text.split("=", 1)[1].strip() in ("NULL", "0")


def is_lock(name: str) -> bool:
    return name in ("mutex_lock", "spin_lock", "spin_lock_bh", "spin_lock_irq", "spin_lock_irqsave", "down_write")


def is_unlock(name: str) -> bool:
    return name in (
        "mutex_unlock",
        "spin_unlock",
        "spin_unlock_bh",
        "spin_unlock_irq",
        "spin_unlock_irqrestore",
        "up_write",
    )


def assigned_name(node: CfgNode) -> str | None:
    """``s`` of ``s = shrinker_alloc(...)`` (the lvalue of a plain assignment statement)."""
    text = node.text.strip().rstrip(";")
    if "=" in text and "==" not in text:
        left = text.split("=", 1)[0].strip()
        return left.split()[-1].lstrip("*") if left else None
    return None
