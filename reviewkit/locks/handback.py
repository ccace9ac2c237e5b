"""Hand-backs a function's own text declares: the lock kept on purpose for its caller or a partner.

``lock-balance`` counts these instead of reporting them (a reviewer reads a documented hand-back as the
function's contract, not as a missed unlock).  Each shape is a general kernel idiom, told by the code
or its comment, never by a function's name:

* :func:`flag_coded`: the result is a flag saying whether the lock is still held
  (``ok = ...; if (!ok) mutex_unlock(&m); return ok;``);
* :func:`documented`: the comment above the function says it returns with the lock held;
* :func:`paired_callback`: the function is the ``pre_X`` callback of an operations table whose ``post_X``
  callback of the same table releases the lock (the USB reset protocol's ``pre_reset``/``post_reset``);
  :func:`unpaired_callback` is the converse (the partner releases nothing: no hand-off), and
  :func:`named_partner` the same pairing told by the names of a ``partners`` pair in locks.toml
  (``..._suspend()`` keeps what ``..._resume()`` of the same file drops);
* :func:`token_out`: the acquire's result, the token its release needs (``srcu_read_lock()``'s index), is
  stored through a pointer parameter (``*srcu_index = srcu_read_lock(&d->srcu)``): the function gives the
  caller what only the caller can release it with;
* :func:`object_out`: the object holding the lock is stored through a pointer parameter on every path that
  keeps it (``*lsp = ls; return 0;`` with ``ls->ls_mutex`` held): the caller got the object to unlock.
"""

# size: one shape per section, each a kernel hand-back idiom with its own reading of the code; they share the
# comment, parameter and store readers, so splitting them would only move those helpers about

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reviewkit.cparse.parse import Node, iter_calls, parse
from reviewkit.flow.cfg import reached
from reviewkit.flow.engine import CFG, K_RETURN
from reviewkit.locks.model import Held, LockModel, LockResult, Summary, lock_key, part_object
from reviewkit.locks.protocol import parameter_protocol
from reviewkit.locks.syntax import _params, _walk
from reviewkit.views.source import FunctionView


def _release_keys(model: LockModel, name: str, args: Sequence[str]) -> set[str]:
    return model.release_keys(name, args)


def _last_name(key: str) -> str:
    """``serial->disc_mutex`` -> ``disc_mutex``; ``table_lock`` -> ``table_lock``."""
    m = re.search(r"(\w+)\W*$", key)
    return m.group(1) if m else ""


def _member(key: str) -> str:
    m = re.search(r"(->|\.)\w+$", key)
    return m.group().replace(".", "->") if m and m.start() > 0 else ""


def flag_coded(res: LockResult, cfg: CFG, model: LockModel, key: str) -> bool:
    """Every exit returns one variable ``v``, and the only releases of ``key`` sit in ``if (!v)`` (or
    ``if (v)``) with ``v`` never assigned after that test: the result says whether the caller holds it."""
    fv = res.fv
    names = set()
    for ex in res.exits:
        kids = ex.via.ast.named_children if ex.via.kind == K_RETURN and ex.via.ast is not None else []
        if len(kids) != 1 or kids[0].type != "identifier":
            return False
        value = kids[0]
        names.add(fv.parsed.text(value))
    if len(names) != 1:
        return False
    var = names.pop()
    tests: list[Node] = []
    for n in cfg.nodes:
        for c in n.calls:
            if key in _release_keys(model, c.name, c.args):
                branch = _guarding_if(fv, c.node, var) if c.node is not None else None
                if branch is None:
                    return False
                tests.append(branch)
    if not tests:
        return False
    first = min(t.start_byte for t in tests)
    return not any(var in n.rebinds and n.ast is not None and n.ast.end_byte > first for n in cfg.nodes)


def _guarding_if(fv: FunctionView, node: Node, var: str) -> Node | None:
    """The ``if`` whose then-branch holds ``node`` and whose condition is ``var`` or ``!var``."""
    cur = node.parent
    while cur is not None and cur.type != "function_definition":
        if cur.type == "if_statement":
            then = cur.child_by_field_name("consequence")
            cond = cur.child_by_field_name("condition")
            inside = then is not None and then.start_byte <= node.start_byte and node.end_byte <= then.end_byte
            text = re.sub(r"[\s()]", "", fv.parsed.text(cond)) if cond is not None else ""
            return cur if inside and text in (var, f"!{var}") else None
        cur = cur.parent
    return None


_HELD = r"(?:held|(?:read-|write-)?locked|taken|acquired|grabbed)"
_RETURNS_HELD = re.compile(
    rf"\breturn(?:s|ed|ing)?\b[^.;:]{{0,120}}?\b{_HELD}\b(?!\s+by\b)"
    rf"|\b{_HELD}\s+on\s+(?:\w+\s+)?(?:return|exit|completion|success)\b"
    rf"|\bexpect(?:s|ed)?\b[^.;:]{{0,80}}?\bto\s+be\s+{_HELD}\b"
    r"|\bcaller\b[^.;:]{0,40}?\b(?:must|has\s+to|should|needs\s+to|is\s+responsible\s+for)\s+unlock(?:ing)?\b"
    r"|\breleas(?:e|es|ed)\s+(?:the\s+)?(?:\w+\s+)?(?:lock|mutex|semaphore)\s+in\s+(?:\w*_\w*|\w+\(\))",
    re.IGNORECASE,
)
"""How a comment says the lock stays held for someone else: "returns with ... held", "it is returned in
*mk_ret with its semaphore read-locked", "we return false, having already taken the dentry lock", "read
lock ... is held on successful completion", "'ubifs_write_end()' expects the @ui_mutex to be locked".
"@locked_ni: [OUT] caller has to unlock this ntfs inode" says the same from the caller's side, and
"release the lock in dpaa2_eth_free_tx_fd" at the acquire names who drops it.
"held by" someone else is the opposite."""
_LOCK_WORD = re.compile(r"\b(?:\w+[-_])?(?:lock|mutex|semaphore|sem|rwsem|spinlock)\b", re.IGNORECASE)


def documented(fv: FunctionView, key: str, acquire_lines: Sequence[int] = ()) -> bool:
    """A comment says the function leaves this lock held on purpose: the comment right above the function
    ("If it is found ..., return with the parent usb_serial structure's disc_mutex held"), or the comment
    right above one of the lock's acquires in the body ("'ubifs_write_end()' ... expects the @ui_mutex to
    be locked if data is appended").  The clause must name the lock (its last name) or a lock word."""
    fn = fv.function
    if fn is None:
        return False
    comments = [_comment_above(fn.node)]
    if acquire_lines:
        comments += [_comment_above(s) for s in _statements_at(fn.node, set(acquire_lines))]
    name = _last_name(key)
    params = set(_params(fv))  # ``@locked_ni``: a parameter the comment describes, not a lock's name
    for node in comments:
        if node is None:
            continue
        text = " ".join(fv.parsed.text(node).replace("*", " ").split())
        for m in _RETURNS_HELD.finditer(text):
            clause = _clause(text, m.start(), m.end())
            named = [t for t in map(_tail, _LOCK_NAME.findall(clause)) if _LOCK_IN.search(t) and t not in params]
            if named and name not in named:
                continue  # "sem_ids.rwsem remains locked on exit": another lock, by its name
            if (
                (name and re.search(rf"\b{re.escape(name)}\b", clause))
                or _LOCK_WORD.search(clause)
                or "unlock" in m.group().lower()
            ):
                return True
    return False


_LOCK_NAME = re.compile(r"@?\w+(?:(?:\.|->)\w+)+|@\w+|\b\w+_\w+\b")
"""A lock named as code in a comment: ``sem_ids.rwsem``, ``@ui_mutex``, ``ui->ui_mutex``, ``d_lock``."""
_LOCK_IN = re.compile(r"lock|mutex|sem", re.IGNORECASE)


def _tail(name: str) -> str:
    """``@ui->ui_mutex`` -> ``ui_mutex``: the member a key ends in."""
    return re.split(r"\.|->", name.lstrip("@"))[-1]


def _comment_above(node: Node) -> Node | None:
    """The comment that ends on the line above ``node`` (or on its own line), if any."""
    prev = node.prev_sibling
    if prev is None or prev.type != "comment" or node.start_point[0] - prev.end_point[0] > 1:
        return None
    return prev


def _statements_at(fn: Node, lines: set[int]) -> list[Node]:
    """The statements of ``fn``'s body that start on one of ``lines`` (1-based)."""
    out, stack = [], [fn]
    while stack:
        n = stack.pop()
        if n.type.endswith("_statement") and n.start_point[0] + 1 in lines:
            out.append(n)
            continue
        stack.extend(n.named_children)
    return out


def _clause(text: str, start: int, end: int) -> str:
    """The sentence part around ``text[start:end]``: sentences end at ". ", clauses at ";"."""
    left = max(text.rfind(". ", 0, start), text.rfind(";", 0, start), -1) + 1
    stops = [i for i in (text.find(". ", end), text.find(";", end)) if i >= 0]
    return text[left : min(stops) if stops else len(text)]


_PRE_SLOT = r"\.\s*pre_(\w+)\s*=\s*&?\s*{name}\s*[,}}]"


_PRE_STORE = r"([\w.\->\[\]]+?)\s*(?:\.|->)\s*pre_(\w+)\s*=\s*&?\s*{name}\s*;"


def paired_callback(fv: FunctionView, model: LockModel, key: str) -> bool:
    """``fv`` fills the ``.pre_X`` slot of an initializer, or is stored as ``obj->pre_X = fv;``, whose
    ``.post_X`` function (``obj->post_X = ...`` for the same ``obj``; defined in the same file) releases
    a lock of the same member (``data->io_mutex``): the pair brackets an operation of the table's owner,
    the lock is the partner's to drop (the USB reset protocol, i2c-algo-bit's ``pre_xfer``/``post_xfer``)."""
    return any(_releases_member(fv, model, post, _member(key)) for post in _post_partners(fv, key))


def _post_partners(fv: FunctionView, key: str) -> list[str]:
    """The ``post_X`` functions paired with ``fv`` in the ``pre_X`` slots it fills."""
    source = fv.parsed.source.decode("utf-8", "replace")
    if (".pre_" not in source and ">pre_" not in source) or not _member(key):
        return []
    out = []
    for m in re.finditer(_PRE_SLOT.format(name=re.escape(fv.name)), source):
        block = _initializer(source, m.start())
        post = re.search(rf"\.\s*post_{re.escape(m.group(1))}\s*=\s*&?\s*(\w+)", block)
        if post is not None:
            out.append(post.group(1))
    for m in re.finditer(_PRE_STORE.format(name=re.escape(fv.name)), source):
        owner = re.escape(m.group(1)).replace("\\.", "\\s*\\.\\s*")
        stores = list(re.finditer(rf"{owner}\s*(?:\.|->)\s*post_{re.escape(m.group(2))}\s*=\s*&?\s*(\w+)\s*;", source))
        # the store next to this one: a file may fill the same slots with other pairs elsewhere
        after = [p for p in stores if p.start() > m.end()]
        post = after[0] if after else (stores[-1] if stores else None)
        if post is not None:
            out.append(post.group(1))
    return out


def named_partner(fv: FunctionView, model: LockModel, key: str, summaries: Mapping[str, Summary] | None = None) -> bool:
    """``cw1200_wow_suspend()`` keeps ``priv->conf_mutex`` and ``cw1200_wow_resume()`` of the same file
    releases it: a function named with the first word of a ``partners`` pair whose partner (the same name
    with the second word) releases a lock of the same member brackets a device state with it."""
    member = _member(key)
    if not member:
        return False
    for first, second in model.partners:
        m = re.search(rf"(?:^|_){re.escape(first)}(?:_|$)", fv.name)
        if m is None:
            continue
        partner = fv.name[: m.start()] + m.group().replace(first, second) + fv.name[m.end() :]
        if _releases_member(fv, model, partner, member, summaries):
            return True
    return False


def unpaired_callback(fv: FunctionView, model: LockModel, key: str) -> bool:
    """``fv`` fills a ``pre_X`` slot whose ``post_X`` partner is in the file and releases no lock of that
    member: the table names who would drop it and that one does not, so keeping it is no hand-off."""
    return any(not _releases_member(fv, model, post, _member(key)) for post in _post_partners(fv, key))


def _initializer(source: str, at: int) -> str:
    """The ``{ ... }`` initializer list around offset ``at`` (a flat scan of the braces)."""
    left = source.rfind("{", 0, at)
    right = source.find("}", at)
    return source[left:right] if left >= 0 and right >= 0 else ""


def _releases_member(
    fv: FunctionView, model: LockModel, name: str, member: str, summaries: Mapping[str, Summary] | None = None
) -> bool:
    """Does the file's function ``name`` release a lock ending in ``member``?  (Parsed again: a view's
    tree holds its own function only; this runs only for a function named in a ``pre_`` slot or by a
    partner pair.)  A call to a release wrapper whose summary drops such a lock counts too
    (``ovl_inode_unlock(inode)`` from overlayfs.h drops ``OVL_I(inode)->lock``)."""
    for fn in parse(fv.parsed.source).functions():
        if fn.name != name:
            continue
        body = fv.parsed.text(fn.body)
        for call in re.finditer(r"\b(\w+)\s*\(\s*([^,()]*)", body):
            if call.group(1) in model.releases and any(
                _member(k) == member for k in _release_keys(model, call.group(1), [call.group(2).strip()])
            ):
                return True
            wrapper = summaries.get(call.group(1)) if summaries is not None else None
            if wrapper is not None and any(e.kind == "release" and _member(e.key) == member for e in wrapper.effects()):
                return True
    return False


def declared(
    res: LockResult, cfg: CFG, model: LockModel, key: str, clean: bool, summaries: Mapping[str, Summary] | None = None
) -> str | None:
    """The counter name of the first hand-back shape ``key`` fits in ``res`` (None: none fits).

    ``clean``: some exit dropped the lock (a flag-coded result needs both kinds of exit);
    ``summaries``: what the functions in view do to locks (a partner may release through a wrapper)."""
    if clean and flag_coded(res, cfg, model, key):
        return "result-coded-hand-back"
    taken = [h.line for ex in res.exits for h in ex.state.facts.held if h.key == key and h.line]
    if documented(res.fv, key, taken):
        return "documented-hand-back"
    if clean and parameter_protocol(res.fv, model, key, taken):
        return "parameter-protocol"
    holding = [ex for ex in res.exits if any(h.key == key and h.count for h in ex.state.facts.held)]
    if flag_bit(res.fv, key, holding, [ex for ex in res.exits if ex not in holding]):
        return "flag-bit-hand-back"
    if not res.fv.fragment and paired_callback(res.fv, model, key):
        return "paired-callback"
    if not res.fv.fragment and named_partner(res.fv, model, key, summaries):
        return "partner-releases"
    return None


_FLAG = re.compile(r"^[A-Z][A-Z0-9_]+$")


def flag_bit(fv: FunctionView, key: str, holding: Sequence[Any], clean: Sequence[Any]) -> bool:
    """The result carries a flag bit that says "you hold it": every exit keeping the lock returns
    ``v | FLAG``, or returns ``v`` after an acquire of the lock that sits in one block with ``v |= FLAG``
    (``v |= FDPUT_POS_UNLOCK; mutex_lock(&file->f_pos_lock); return v;``), and no exit that dropped it
    returns ``... | FLAG``.  The caller tests the bit to release it."""
    if not holding:
        return False
    common: set[str] | None = None
    for ex in holding:
        flags = _flags_at(fv, ex, [h.line for h in ex.state.facts.held if h.key == key and h.count and h.line])
        common = flags if common is None else common & flags
        if not common:
            return False
    assert common is not None
    return not any(_flags_at(fv, ex, []) & common for ex in clean)


def _flags_at(fv: FunctionView, ex: Any, acquired: Sequence[int]) -> set[str]:
    """The upper-case flags the exit ``ex`` returns: OR-ed in its ``return``, or into the returned
    variable next to each acquire (lines ``acquired``) the exit still holds."""
    via = ex.via
    if via.kind != K_RETURN or via.ast is None or not via.ast.named_children:
        return set()
    value = via.ast.named_children[0]
    while value.type == "parenthesized_expression" and value.named_children:
        value = value.named_children[0]
    if value.type == "binary_expression" and _op(fv, value) == "|":
        sides = [value.child_by_field_name("left"), value.child_by_field_name("right")]
        return {t for n in sides if n is not None and _FLAG.match(t := fv.parsed.text(n))}
    if value.type != "identifier" or not acquired or fv.function is None:
        return set()
    var = fv.parsed.text(value)
    out: set[str] | None = None
    for stmt in _statements_at(fv.function.node, set(acquired)):
        block = stmt.parent
        flags = {f for sib in (block.named_children if block is not None else []) if (f := _or_store(fv, sib, var))}
        out = flags if out is None else out & flags
    return out or set()


def _op(fv: FunctionView, node: Node) -> str:
    op = node.child_by_field_name("operator")
    return fv.parsed.text(op) if op is not None else ""


def _or_store(fv: FunctionView, stmt: Node | None, var: str) -> str | None:
    """``FLAG`` of a statement ``var |= FLAG;``."""
    if stmt is None or stmt.type != "expression_statement" or not stmt.named_children:
        return None
    expr = stmt.named_children[0]
    if expr.type != "assignment_expression" or _op(fv, expr) != "|=":
        return None
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    if left is None or right is None or fv.parsed.text(left) != var:
        return None
    text = fv.parsed.text(right)
    return text if _FLAG.match(text) else None


_OUT_TARGET = re.compile(r"^\(*\s*\*\s*(\w+)\s*\)*$|^(\w+)\s*(?:->|\[)")


def token_out(fv: FunctionView, held: Held) -> bool:
    """``held`` was taken by a call whose result is assigned through a pointer parameter of ``fv``
    (``*idx = srcu_read_lock(...)``, ``out->cookie = ...``): the caller got the token to release it with."""
    fn = fv.function
    if fn is None or held.line is None:
        return False
    params = {p for p in _params(fv) if p}
    for call in iter_calls(fn.parsed, fn.node):
        if call.line != held.line or call.name != held.call:
            continue
        parent = call.node.parent
        while parent is not None and parent.type in ("parenthesized_expression", "cast_expression"):
            parent = parent.parent
        if parent is None or parent.type != "assignment_expression":
            continue
        left = parent.child_by_field_name("left")
        m = _OUT_TARGET.match(fn.parsed.text(left)) if left is not None else None
        if m and (m.group(1) or m.group(2)) in params:
            return True
    return False


def value_out(fv: FunctionView, name: str) -> bool:
    """Is the local ``name`` stored through a pointer parameter (``*irqflags = flags``, ``out->flags =
    flags``)?  The caller got it: saved interrupt flags copied out are the caller's to restore."""
    fn = fv.function
    if fn is None:
        return False
    params = {p for p in _params(fv) if p}
    for n in _walk(fn.node):
        if n.type != "assignment_expression" or _op(fv, n) != "=":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None or fv.parsed.text(right).strip() != name:
            continue
        m = _OUT_TARGET.match(fv.parsed.text(left))
        if m and (m.group(1) or m.group(2)) in params:
            return True
    return False


_CHAIN = re.compile(r"->|\.")


def _owners(key: str) -> set[str]:
    """``a->b->lock`` -> ``{"a", "a->b"}``: the objects a caller given one of them can reach the lock through."""
    parts = _CHAIN.split(key)
    seps = _CHAIN.findall(key)
    out, cur = set(), parts[0]
    for sep, part in zip(seps, parts[1:], strict=True):
        out.add(cur)
        cur = f"{cur}{sep}{part}"
    return out


def object_out(
    fv: FunctionView,
    cfg: CFG,
    exits: Sequence[Any],
    key: str,
    model: LockModel | None = None,
    status: str | None = None,
) -> set[int]:
    """The ``id()`` of each exit in ``exits`` (flow-engine exits holding ``key``) that every path reaches
    through an assignment storing the lock's owner through a pointer parameter (``*lsp = ls``,
    ``out->obj = ls``): the caller got the object with its lock held, the lookup-and-lock contract.  A key
    whose owner is itself a parameter gives none (the caller names it anyway: that is the other hand-back
    shapes' business)."""
    owners = _owners(part_object(key))
    if fv.function is None or not owners or not exits:
        return set()
    params = {p for p in _params(fv) if p}
    if _CHAIN.split(key)[0] in params:
        return set()
    stores = frozenset(n.id for n in cfg.nodes if _stores_owner(fv, n.ast, params, owners))
    if not stores:
        return set()
    # the engine's trail keeps only the steps that changed a fact: walk the graph, around the stores
    around = reached([cfg.entry], stores)
    out = {id(ex) for ex in exits if ex.via.id not in around}
    if model is None:
        return out
    # one ``return rc;`` shared by every path: walk from the exit's acquire instead, around the stores and
    # the lock's releases (a path that dropped it is not the one keeping it)
    drops = frozenset(n.id for n in cfg.nodes if any(key in model.release_keys(c.name, c.args) for c in n.calls))
    if status is not None:
        # the exits return a status variable also used for failures: none may be stored after the hand-out
        error = re.compile(rf"^\s*{re.escape(status)}\s*=\s*(?:-\s*E[A-Z]|PTR_ERR\b|ERR_PTR\b)")
        after = reached([n for n in cfg.nodes if n.id in stores], drops)
        if any(n.id in after and n.ast is not None and error.match(fv.parsed.text(n.ast)) for n in cfg.nodes):
            return set()
        out = set()  # the entry-based walk above cannot tell a success from a failure through one return
    for ex in exits:
        lines = {h.line for h in ex.state.facts.held if h.key == key and h.count and h.line}
        starts = [n for n in cfg.nodes if n.ast is not None and n.ast.start_point[0] + 1 in lines and n.calls]
        if id(ex) not in out and starts and ex.via.id not in reached(starts, stores | drops):
            out.add(id(ex))
    return out


def _stores_owner(fv: FunctionView, stmt: Node | None, params: set[str], owners: set[str]) -> bool:
    if stmt is None or stmt.type != "expression_statement" or not stmt.named_children:
        return False
    expr = stmt.named_children[0]
    if expr.type != "assignment_expression":
        return False
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    if left is None or right is None:
        return False
    m = _OUT_TARGET.match(fv.parsed.text(left))
    if not m or (m.group(1) or m.group(2)) not in params:
        return False
    while right.type in ("parenthesized_expression", "cast_expression") and right.named_children:
        right = right.named_children[-1]
    return lock_key(fv.parsed.text(right)) in owners
