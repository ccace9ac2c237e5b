"""Reading lock facts off the C syntax of one function view.

Where a call's result goes (``l = list_lru_lock(...)``, ``ret =
!folio_trylock(folio)``), the parameters and the locals that are this call's
own, the ``__acquires``/``__releases``/``__must_hold`` annotations, the
argument and name patterns that hand a lock to a callee, and how a call is
quoted in a message.  These are questions about the tree, not about lock
state: both the transfer function (:mod:`reviewkit.locks.transfer`)
and the wrapper summaries (:mod:`reviewkit.locks.summary`) ask them.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from reviewkit.cparse.parse import Call, Function, Node
from reviewkit.flow.engine import CFG, CfgNode, build_cfg
from reviewkit.locks.keys import unparen
from reviewkit.locks.model import lock_key
from reviewkit.views.source import FunctionView

_IDENT = re.compile(r"[A-Za-z_]\w*")
_VAR = re.compile(r"(?<![\w>.])[A-Za-z_]\w*")
"""Identifiers of a lock expression that are variables: ``pvmw`` in ``pvmw->ptl``, not the member ``ptl``."""
_ANNOT = re.compile(r"\b(__cond_acquires|__acquires|__releases|__must_hold)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_ANNOT_WORDS = ("__acquires", "__releases", "__must_hold", "__cond_acquires")


def annotated(text: str) -> bool:
    """Does ``text`` carry a lock annotation (:data:`_ANNOT`)?  Substring tests first: the summaries ask
    this of every function, and few have one."""
    return any(w in text for w in _ANNOT_WORDS) and _ANNOT.search(text) is not None


def lock_annotations(fv: FunctionView, contexts: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """``__acquires``/``__releases``/``__must_hold`` keys from the function's header.

    ``contexts`` are the model's global contexts (``rcu``, ``preempt``): sparse names them in any
    case, and the kernel writes ``__acquires(RCU)`` as often as ``__acquires(rcu)`` on a function that
    returns inside ``rcu_read_lock()``.  A bare name that is one of them, in another case, is that context.
    """
    fn = fv.function
    out: dict[str, list[str]] = {}
    if fn is None:
        return out
    head = fn.parsed.source[fn.node.start_byte : fn.body.start_byte].decode("utf-8", "replace")
    params: list[str] | None = None
    body = ""
    for m in _ANNOT.finditer(head):
        key = lock_key(m.group(2))
        if key not in contexts and key.lower() in contexts:
            key = key.lower()
        if params is None:
            params = _params(fv)
            body = re.sub(r"\s+", "", fn.parsed.text(fn.body))
        resolved = _resolved_annotation(key, params, body)
        if resolved is not None:
            out.setdefault(m.group(1), []).append(resolved)
    return out


def _resolved_annotation(key: str, params: list[str], body: str) -> str | None:
    """The lock an annotation names, as the function's own code names it; None: it names nothing here.

    An annotation is a comment to sparse, never compiled: ``__releases(&idprv->handler_mutex)`` on a
    function whose parameter is ``id_priv`` (and whose body releases ``id_priv->handler_mutex``) names a
    variable that exists nowhere in the function.  Such a member path, rooted at neither a parameter nor
    a name the body uses (a global, a local), is read by its member path: the one parameter whose same
    path the body uses; with none (or several), the annotation is dropped and the body decides.
    """
    root = _IDENT.match(key)
    if root is None or root.group() in params:
        return key
    rest = key[root.end() :]
    if not rest.startswith(("->", ".")) or re.search(rf"(?<![\w>.]){re.escape(root.group())}\b", body):
        return key
    tail = re.escape(rest) + r"(?![\w\[(])"
    found = {p for p in params if p and re.search(rf"(?<![\w>.]){re.escape(p)}{tail}", body)}
    return f"{found.pop()}{rest}" if len(found) == 1 else None


def _params(fv: FunctionView) -> list[str]:
    fn = fv.function
    return function_params(fn) if fn is not None else []


def function_params(fn: Function) -> list[str]:
    """The parameter names of a definition, in order (``""`` for an unnamed one)."""
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    plist = decl.child_by_field_name("parameters") if decl is not None else None
    out = []
    for p in plist.named_children if plist is not None else []:
        names = [fn.parsed.text(n) for n in _walk(p) if n.type == "identifier"]
        out.append(names[-1] if names else "")
    return out


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(reversed(cur.children))
    return out


def _assigned_to(call: Call, fv: FunctionView) -> str | None:
    """The variable a call's result is stored in (``l = list_lru_lock(...)``)."""
    parent = call.node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "cast_expression"):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return lock_key(fv.parsed.text(left)) if left is not None else None
    if parent.type == "init_declarator":
        decl = parent.child_by_field_name("declarator")
        names = [fv.parsed.text(n) for n in _walk(decl) if n.type == "identifier"] if decl is not None else []
        return names[0] if names else None
    return None


def _assigned_negated(call: Call, fv: FunctionView) -> str | None:
    """``ret = !folio_trylock(folio)``: the variable holding the negated result."""
    parent = call.node.parent
    if parent is None or parent.type != "unary_expression" or fv.parsed.text(parent).lstrip()[:1] != "!":
        return None
    up = parent.parent
    if up is not None and up.type == "assignment_expression":
        left = up.child_by_field_name("left")
        return lock_key(fv.parsed.text(left)) if left is not None and left.type == "identifier" else None
    if up is not None and up.type == "init_declarator":
        decl = up.child_by_field_name("declarator")
        return fv.parsed.text(decl) if decl is not None and decl.type == "identifier" else None
    return None


SRC_MAX = 72
"""Longer calls are quoted with all but their first argument elided: a message is one line."""


def call_source(call: Call, fv: FunctionView, handle: str | None = None) -> str:
    """``call`` as written (whitespace collapsed); ``handle = `` in front when the lock is the returned handle."""
    text = " ".join(fv.parsed.text(call.node).split())
    if len(text) > SRC_MAX:  # the first argument names the lock's object; the rest can go
        first = " ".join(call.args[0].split()) if call.args else ""
        text = f"{call.name}({first}, ...)" if first and len(first) < SRC_MAX else f"{call.name}(...)"
    return f"{handle} = {text}" if handle else text


def _subst(template: str, mapping: dict[str, str]) -> str:
    """The lock a wrapper's key names at a call: parameters replaced by the arguments as written.

    Only variables are parameters: in ``cpuctx->ctx.lock`` with a parameter ``ctx``, the member ``ctx``
    stays (a field that shares a parameter's name is not the parameter).  ``p->flags`` with ``&rf`` passed
    for ``p`` is ``rf.flags``, as the caller writes it.
    """

    def put(m: re.Match[str]) -> str:
        if m.group("deref"):
            # ``(*dir)->i_rwsem`` with ``&lower_dir`` passed for ``dir``: ``lower_dir->i_rwsem``
            name = m.group("deref")
            if name not in mapping:
                return m.group()
            arg = unparen(" ".join(mapping[name].split()))
            if re.fullmatch(r"&\s*[\w.\[\]]+(?:->[\w.\[\]]+)*", arg):
                return arg[1:].strip() + "->"
            return f"(*{lock_key(arg)})->"
        name, arrow = m.group("name"), m.group("arrow")
        if name not in mapping:
            return m.group()
        arg = unparen(" ".join(mapping[name].split()))
        if arrow and arg.startswith("&") and re.fullmatch(r"&\s*[\w.\[\]]+(?:->[\w.\[\]]+)*", arg):
            return arg[1:].strip() + "."
        arg = lock_key(arg)
        return (arg if re.fullmatch(r"[\w>.\-\[\]]+", arg) else f"({arg})") + (arrow or "")

    return lock_key(_SUBST_VAR.sub(put, template))


_SUBST_VAR = re.compile(r"\(\*\s*(?P<deref>[A-Za-z_]\w*)\)\s*->|(?<![\w>.])(?P<name>[A-Za-z_]\w*)(?P<arrow>\s*->)?")


_HANDS_OFF = re.compile(r"^&\s*\w*lock\w*$|^\w*(?:unlock\w*|_locked)$", re.IGNORECASE)
"""An argument that lets the callee drop or retake a lock: ``&locked``, an unlock callback."""
_LOCKED_FLAG = re.compile(r"^&\s*((?!un)\w*locked)$")
"""``&locked``: an int the callee clears when it dropped the caller's lock (not ``&unlocked``)."""
_RELEASING_NAME = re.compile(r"unlock|_on_locked$|_unlocks?_")
"""A helper outside the model that, by its name, releases the lock passed to it."""
_TAKING_NAME = re.compile(r"(?:^|_)(?![a-z]*unlock|dead)[a-z]{0,4}(?<![bc])lock(?:_|$)")
"""A helper outside the model that, by its name, takes a lock of what it is given (``xchk_ilock_inverted``,
``foo_relock``, ``lock_two_objects``): not ``unlock``, ``block``, ``clock`` or ``..._locked`` (called locked)."""


def _rebound(key: str, rebinds: frozenset[str]) -> bool:
    """Does assigning ``rebinds`` make ``key`` name another lock?  ``si = next`` and ``vmf->ptl = p`` do for
    ``si->lock`` and ``vmf->ptl``; ``si->inuse++`` does not."""
    ids = set(_VAR.findall(key))
    for w in rebinds:
        if w in ids if _IDENT.fullmatch(w) else (key == w or key.startswith((w + "->", w + ".", w + "["))):
            return True
    return False


def _in_ternary(call: Call) -> bool:
    node = call.node
    while node.parent is not None and node.parent.type not in ("expression_statement", "declaration"):
        if node.parent.type == "conditional_expression" and node != node.parent.child_by_field_name("condition"):
            return True
        node = node.parent
    return False


def _is_atom_call(n: CfgNode, call: Call) -> bool:
    atom = n.ast
    while atom is not None and atom.type in ("binary_expression", "parenthesized_expression") and atom != call.node:
        atom = atom.child_by_field_name("left") or (atom.named_children[0] if atom.named_children else None)
    return atom == call.node


class FactSource(Protocol):
    """Where the lock analysis gets a function's derived facts (:class:`reviewkit.facts.Facts` in a run)."""

    def cfg(self, fv: FunctionView) -> CFG: ...

    def local_names(self, fv: FunctionView) -> set[str]: ...

    def lock_memo(self, fv: FunctionView) -> dict[Any, Any]: ...


class Uncached:
    """A :class:`FactSource` that derives everything afresh (a caller outside a run, a test)."""

    def __init__(self, kernel: dict[str, Any] | None) -> None:
        self.kernel = kernel

    def cfg(self, fv: FunctionView) -> CFG:
        return build_cfg(fv, self.kernel)

    def local_names(self, fv: FunctionView) -> set[str]:
        return _locals(fv, self.cfg(fv))

    def lock_memo(self, fv: FunctionView) -> dict[Any, Any]:
        return {}


def _locals(fv: FunctionView, cfg: CFG | None = None) -> set[str]:
    """Locals that name something of this call only: aliases of a parameter's memory are not
    (``struct mm_struct *mm = vma->vm_mm;`` names the caller's mm)."""
    if cfg is None:
        cfg = build_cfg(fv)
    out: set[str] = set()
    aliases: set[str] = set()
    for n in cfg.nodes:
        if n.ast is None or n.ast.type != "declaration":
            continue
        out |= n.writes
        for decl in n.ast.children_by_field_name("declarator"):
            value = decl.child_by_field_name("value") if decl.type == "init_declarator" else None
            if value is not None and value.type in ("field_expression", "identifier", "pointer_expression"):
                names = [fv.parsed.text(x) for x in _walk(decl) if x.type == "identifier"]
                if names:
                    aliases.add(names[0])
    reassigned = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.writes}
    return out - (aliases - reassigned)


def canonical(fv: FunctionView, key: str, facts: FactSource) -> str:
    """``page->flags`` -> ``vmf->page->flags`` when ``struct page *page = vmf->page;`` and ``page`` is never
    assigned again: a wrapper's key in terms of its parameters, which a caller can substitute.

    The table of such locals is kept in the run's facts (``facts.lock_memo``), never on the view."""
    memo = facts.lock_memo(fv)
    inits = memo.get("alias-inits")
    if inits is None:
        inits = {}
        cfg = facts.cfg(fv)
        again = {w for n in cfg.nodes if n.ast is not None and n.ast.type != "declaration" for w in n.rebinds}
        for n in cfg.nodes:
            if n.ast is None or n.ast.type != "declaration":
                continue
            for decl in n.ast.children_by_field_name("declarator"):
                value = decl.child_by_field_name("value") if decl.type == "init_declarator" else None
                if value is None or value.type not in ("field_expression", "identifier"):
                    continue
                names = [fv.parsed.text(x) for x in _walk(decl) if x.type == "identifier"]
                if names and names[0] not in again:
                    inits[names[0]] = " ".join(fv.parsed.text(value).split())
        memo["alias-inits"] = inits
    m = _IDENT.match(key)
    if m is None or m.group() not in inits:
        return key
    return lock_key(inits[m.group()] + key[m.end() :])


local_names = _locals
