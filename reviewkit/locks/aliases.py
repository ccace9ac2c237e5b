"""Locals that are another name for an expression of the caller's objects.

``struct mlx4_ib_dev *mdev = to_mdev(ibdev);`` makes ``mdev->cap_mask_mutex`` and
``to_mdev(ibdev)->cap_mask_mutex`` one lock; ``shp = container_of(ipcp, struct
shmid_kernel, shm_perm)`` makes ``shp->shm_perm.lock`` the ``ipcp->lock`` a
helper given ``ipcp`` drops.  Split from :mod:`reviewkit.locks.syntax`, which
holds the parsing helpers both use.
"""

from __future__ import annotations

import re

from reviewkit.cparse.parse import Node
from reviewkit.flow.engine import CFG
from reviewkit.locks.keys import CONTAINER_OF, lock_key
from reviewkit.locks.syntax import _params, _walk
from reviewkit.views.source import FunctionView


def call_aliases(fv: FunctionView, cfg: CFG) -> dict[str, str]:
    """Locals that are another name for a call of the parameters (``mdev`` -> ``to_mdev(ibdev)``) or,
    declared with it, for a member path (``ctx`` -> ``iocb->ki_ctx``).

    ``struct mlx4_ib_dev *mdev = to_mdev(ibdev);`` (or ``mdev = to_mdev(ibdev);`` once, after a bare
    declaration), never assigned again, with every variable of the call a parameter or a local set in its
    declaration that the function never assigns: ``mutex_unlock(&to_mdev(ibdev)->cap_mask_mutex)``
    releases ``mdev->cap_mask_mutex``.  A call that reads a local assigned in the body, a global or a
    constant name (``kzalloc(n, GFP_KERNEL)``) is no such view.
    """
    params = {p for p in _params(fv) if p}
    count: dict[str, int] = {}
    for n in cfg.nodes:
        if n.ast is not None and n.ast.type != "declaration":
            for name in n.rebinds:
                count[name] = count.get(name, 0) + 1
    found: dict[str, tuple[str, bool]] = {}
    fixed = _fixed_names(fv, cfg, params, count)
    again: dict[str, int] = {}
    pairs: list[tuple[Node | None, Node | None, bool]] = []
    for ast in sorted((n.ast for n in cfg.nodes if n.ast is not None), key=lambda a: a.start_byte):
        if ast.type == "declaration":
            for decl in ast.children_by_field_name("declarator"):
                if decl.type == "init_declarator":
                    pairs.append((decl.child_by_field_name("declarator"), decl.child_by_field_name("value"), True))
        elif ast.type == "expression_statement" and ast.named_children:
            expr = ast.named_children[0]
            op = expr.child_by_field_name("operator") if expr.type == "assignment_expression" else None
            if expr.type == "assignment_expression" and (op is None or fv.parsed.text(op) == "="):
                pairs.append((expr.child_by_field_name("left"), expr.child_by_field_name("right"), False))
    # in source order: a declaration's value before the assignments after it
    for left, value, declared in pairs:
        while left is not None and left.type == "pointer_declarator":
            left = left.child_by_field_name("declarator")
        if left is None or left.type != "identifier" or value is None:
            continue
        name = fv.parsed.text(left)
        if name in found:
            if (
                found[name][1]
                and value.type == "field_expression"
                and found[name][0] == lock_key(fv.parsed.text(value))
            ):
                # ``inode = dentry->d_inode;`` again after a lock was dropped: read afresh, still that path
                again[name] = again.get(name, 0) + 1
                continue
            found[name] = ("", False)  # two values: no alias
            continue
        if declared and value.type in ("field_expression", "identifier"):
            # ``struct kioctx *ctx = iocb->ki_ctx;``: a path's other name, as :func:`canonical` reads it
            found[name] = (lock_key(fv.parsed.text(value)), True)
            continue
        op = value.child_by_field_name("operator") if value.type == "pointer_expression" else None
        target = value.child_by_field_name("argument") if op is not None and fv.parsed.text(op) == "&" else None
        if declared and target is not None and target.type in ("field_expression", "identifier"):
            # ``struct psz_context *cxt = &pstore_zone_cxt;``: ``cxt->lock`` is ``pstore_zone_cxt.lock``
            found[name] = ("(&" + lock_key(fv.parsed.text(target)) + ")", True)
            continue
        found[name] = (_param_call(fv, value, fixed - {name}, count), declared)
    out = {}
    for name, (text, declared) in found.items():
        if text and count.get(name, 0) == (0 if declared else 1) + again.get(name, 0):
            out[name] = text
    return out


def _fixed_names(fv: FunctionView, cfg: CFG, params: set[str], count: dict[str, int]) -> set[str]:
    """Names that denote one object for the whole function: parameters never assigned, locals given
    their value in their declaration and never assigned again, and locals declared bare and assigned
    once, outside any loop (``ipcp = ipcctl_obtain_check(...)``: read only after it is set).

    ``inode = file_inode(file)`` then ``iinfo = UDF_I(inode)``: ``iinfo`` is ``UDF_I(inode)`` throughout,
    as it would be with ``inode`` a parameter."""
    fixed = {p for p in params if not count.get(p)}
    bare: set[str] = set()
    for n in cfg.nodes:
        if n.ast is None or n.ast.type != "declaration":
            continue
        for decl in n.ast.children_by_field_name("declarator"):
            inited = decl.type == "init_declarator"
            left = decl.child_by_field_name("declarator") if inited else decl
            while left is not None and left.type == "pointer_declarator":
                left = left.child_by_field_name("declarator")
            if left is not None and left.type == "identifier":
                name = fv.parsed.text(left)
                if inited and not count.get(name):
                    fixed.add(name)
                elif not inited and count.get(name) == 1:
                    bare.add(name)
    for n in cfg.nodes:
        if n.ast is None or n.ast.type == "declaration" or not (set(n.rebinds) & bare):
            continue
        up = n.ast.parent
        while up is not None and up.type not in ("for_statement", "while_statement", "do_statement"):
            up = up.parent
        if up is None:
            fixed |= set(n.rebinds) & bare
    return fixed


def _param_call(fv: FunctionView, value: Node, params: set[str], count: dict[str, int]) -> str:
    """``to_mdev(ibdev)``'s text when ``value`` calls a named function of ``params`` only (names fixed
    for the function, see :func:`_fixed_names`), else ''.  For ``container_of(ptr, type, member)`` only
    ``ptr`` counts: the others are a type and a member name."""
    while value.type in ("parenthesized_expression", "cast_expression"):
        inner = value.child_by_field_name("value") if value.type == "cast_expression" else None
        nxt = inner if inner is not None else (value.named_children[-1] if value.named_children else None)
        if nxt is None:
            return ""
        value = nxt
    fn = value.child_by_field_name("function") if value.type == "call_expression" else None
    args = value.child_by_field_name("arguments") if fn is not None else None
    if fn is None or fn.type != "identifier" or args is None or not args.named_children:
        return ""
    given = args.named_children[:1] if fv.parsed.text(fn) in CONTAINER_OF else args.named_children
    names = [fv.parsed.text(x) for a in given for x in _walk(a) if x.type == "identifier"]
    if not names or any(v not in params for v in names):
        return ""
    return lock_key(fv.parsed.text(value))


_NAME = re.compile(r"(?<![\w>.])[A-Za-z_]\w*")


def expanded(key: str, aliases: dict[str, str], rounds: int = 3) -> str:
    """``key`` with every variable that is an alias replaced by what it names, until none is left (or
    ``rounds`` passes): ``inode->i_rwsem`` with ``inode = file_inode(file)`` and ``file = iocb->ki_filp``
    is ``file_inode(iocb->ki_filp)->i_rwsem``, which a caller naming the same chain also reaches."""
    for _ in range(rounds):
        done = _NAME.sub(lambda m: aliases.get(m.group(), m.group()), key)
        if done == key:
            break
        key = lock_key(done)
    return key
