"""Building the control-flow graph of one function view (see :mod:`reviewkit.flow.engine`).

The graph is built backwards: each statement is translated knowing its
continuation, so ``if``/loops/``switch`` just wire their parts to it; goto
labels are created on first mention, so forward and backward gotos are the
same case.  Everything the normaliser rewrote (iterator macros) or
tree-sitter could not parse (ERROR nodes) becomes an opaque statement.
"""

# size: one recursive translation of C statements; the statement kinds share the builder's label/loop state

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from reviewkit.cparse.normalize import FUNCTION_MACRO, directive_condition
from reviewkit.cparse.parse import Call, Node, declared, descendants, iter_calls
from reviewkit.flow.signs import keep_useful, sign_atom
from reviewkit.kernel import builtin_model
from reviewkit.kernel.model import KernelModel
from reviewkit.views.source import FunctionView

K_ENTRY = "entry"
K_EXIT = "exit"
K_STMT = "stmt"
K_COND = "cond"
K_SWITCH = "switch"
K_LOOP = "loop"
K_RETURN = "return"
K_GOTO = "goto"
K_LABEL = "label"
K_GAP = "gap"
K_NORETURN = "noreturn"

_WS = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_NULLISH = {"NULL", "0", "false"}
_WRAPPERS = {"likely", "unlikely", "WARN_ON_ONCE", "WARN_ON", "data_race", "READ_ONCE"}
_NOT_VARS = {"NULL", "true", "false", "sizeof"}
_MACRO_CONST = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ADDRESS_OF = re.compile(r"(?<![\w)\]&])&[A-Za-z_]\w*(?![\w(]|->)")
"""``&name`` (not ``a & b``, ``a && b``, ``&p->f``, ``&f(x)``) in a whitespace-free condition key."""
_SHARED_SYNTAX = re.compile(r"->|\.|\[|\(|^\*|[^\w\s)]\*")
_MACRO_TEST = re.compile(r"[A-Z][A-Z0-9_]*\((.*)\)")
"""A test through an upper-case function-like macro, ``PMSG_IS_AUTO(message)``: its argument text."""


def norm(text: str) -> str:
    """Whitespace-free expression text, the key for conditions and lock expressions."""
    return _WS.sub("", text)


@dataclass(eq=False)
class CfgNode:
    id: int
    kind: str
    ast: Node | None = None
    line: int | None = None
    text: str = ""
    succs: list[tuple[CfgNode, Any]] = field(default_factory=list)
    gap: int | None = None
    gap_to_end: bool = False
    calls: list[Call] = field(default_factory=list)
    writes: frozenset[str] = frozenset()
    rebinds: frozenset[str] = frozenset()
    """What the node makes name something else: assigned variables (``x = ...``, ``&x`` passed out) and
    assigned member paths (``p->ptl = ...`` as ``p->ptl``); ``p->count++`` does not rebind ``p``."""
    cond_key: str | None = None
    loop_writes: frozenset[str] = frozenset()
    loop_rebinds: frozenset[str] = frozenset()
    """The narrower :attr:`rebinds` of the loop body: ``ng->faults[i] += d`` rebinds the member, not ``ng``."""
    label: str | None = None
    assigns: tuple[tuple[str, str], ...] = ()
    """``x = CONST`` (literal, ``NULL``, ``true``, an ALL_CAPS name) done by this node."""
    remember: bool = False
    """The engine remembers this cond's truth: its key (or variable) is tested more than once."""
    steps: frozenset[str] = frozenset()
    """Pointers this node only moves (``rl++``, ``p += n``): a non-NULL pointer stays non-NULL."""
    negated: bool = False
    """``a != b``: :attr:`cond_key` is ``a==b``, true on this node's False edge."""
    compare: tuple[str, str, str] | None = None
    """A cond atom ``x``, ``x == C`` or ``x != C``: (variable, "truth"/"=="/"!=", C)."""
    sign: tuple[str, frozenset[str]] | None = None
    """A cond atom relating an integer's sign to other tests (:mod:`reviewkit.flow.signs`)."""
    unseen: bool = False
    """A goto label the view does not show (fragment mode) or that does not exist."""
    loop: str | None = None
    """For a cond atom of a loop condition: the loop's name (``list_for_each_entry``, ``while``, ``for``)."""
    loop_edges: tuple[tuple[Any, str], ...] = ()
    """Its labels that leave the test: ``(label, "runs")`` into the body, ``(label, "ends")`` past the loop."""
    opener: bool = False
    """The first test of a walk over a whole list (:meth:`_Builder.list_empty_key`): the loop's own test
    node (``loop`` named the same) is the one the back edge reaches."""
    derefs: frozenset[str] | None = None
    """Variables the node reads memory through (``p->x``, ``&p->lock``), read by :func:`node_derefs` the
    first time a path reaches the node knowing some pointer is NULL (None: not read yet)."""
    assume: tuple[str, bool] | None = None
    """A ``break`` out of a counted loop: the loop had not run out (``(cond_key, truth)`` of its test), so
    ``if (cnt >= max_retries)`` after ``do { ... break; ... } while (++cnt < max_retries);`` is false there."""

    cases: dict[Any, Any] | None = field(default=None, init=False, repr=False)
    """A switch's :func:`case_keys` and :func:`case_truths` per label, read once (a switch of a few
    thousand cases asked them per successor: quadratic); not copied with the node."""

    def __repr__(self) -> str:
        return f"<{self.kind}#{self.id} L{self.line} {self.text[:40]!r}>"

    def unlinked(self) -> CfgNode:
        """A copy without successors, as ``dataclasses.replace(self, succs=[])`` makes it (the constructor's
        fields copied, :attr:`cases` unread, nothing else), without a constructor call per node: a graph
        with extra edges (:mod:`reviewkit.flow.paths`) copies every node of it, once per judged function."""
        new = object.__new__(CfgNode)
        mine = self.__dict__
        new.__dict__.update({name: mine[name] for name in _NODE_FIELDS})
        new.succs = []
        new.cases = None
        return new


_NODE_FIELDS = tuple(f.name for f in fields(CfgNode) if f.init and f.name != "succs")
"""What :meth:`CfgNode.unlinked` copies."""


@dataclass
class CFG:
    fv: FunctionView
    entry: CfgNode
    exit: CfgNode
    nodes: list[CfgNode]
    labels: dict[str, CfgNode]
    errors: int = 0
    _ids: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _private: frozenset[str] | None = field(default=None, repr=False)
    _callees: frozenset[str] | None = field(default=None, repr=False)
    _live: dict[int, frozenset[str]] | None = field(default=None, repr=False)
    readings: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Per-graph memos of the analyses that explore it (each owns its keys): a reading of the function
    that every analysis of it asks for is made once per graph, which :class:`reviewkit.facts.Facts`
    builds once per run."""

    def forgotten(self, key: str, rebinds: frozenset[str]) -> bool:
        """Does a node rebinding ``rebinds`` change what condition ``key`` tests?

        ``ng = NULL`` does for ``ng``; ``ng->total_faults += d`` does not (the pointer is the same), but does
        for ``ng->total_faults > 0``.
        """
        memo = self.__dict__.setdefault("_rk_forgotten", {})
        got = memo.get((key, rebinds))
        if got is None:
            got = memo[(key, rebinds)] = self._forgotten(key, rebinds)
        return got

    def _forgotten(self, key: str, rebinds: frozenset[str]) -> bool:
        ids = self.cond_ids(key)
        for r in rebinds:
            if _IDENT.fullmatch(r):
                if r in ids:
                    return True
            elif r in key and re.search(r"(?<![\w>.])" + re.escape(r) + r"(?![\w])", key):
                return True
        return False

    def live(self) -> dict[int, frozenset[str]]:
        """Per node: the keys some node from here on reads (a cond's key, a compared or returned variable, a
        sign's variable).

        Why: a remembered truth, a known constant or a known sign whose key no later node reads can prune
        nothing, yet two states differing only in it are explored twice.  The engine drops such dead facts
        on every edge, so equal futures meet as one state (a liveness analysis; the paths kept are the same).
        """
        if self._live is not None:
            return self._live
        reads: dict[int, set[str]] = {}
        returned: set[str] = set()
        for n in self.nodes:
            own: set[str] = set()
            if n.cond_key is not None:
                own.add(n.cond_key)
            if n.compare is not None:
                own.add(n.compare[0])
            if n.sign is not None:
                own.add(n.sign[0])
            if n.kind == K_SWITCH and n.compare is not None:
                own.update(key for key, _label in case_keys(n))
            named = n.ast.named_children if n.kind == K_RETURN and n.ast is not None else []
            if named and named[0].type == "identifier":  # summaries read the returned value off the exit
                returned.add(n.text[6:].strip(" ;\t\n"))
            reads[n.id] = own
        reads.setdefault(self.exit.id, set()).update(returned)
        # a key is live wherever a path leads to a node reading it: a backward union to a fixed point, one
        # bit per key (a function reads few keys, most nodes read none; equal sets are shared)
        bits: dict[str, int] = {}
        mask: dict[int, int] = {}
        for nid, own in reads.items():
            m = 0
            for key in own:
                m |= 1 << bits.setdefault(key, len(bits))
            mask[nid] = m
        none: frozenset[str] = frozenset()
        if not bits:
            self._live = dict.fromkeys(reads, none)
            return self._live
        changed = True
        while changed:  # (ids grow from a statement's successors to it, as in ``nodes``: few passes)
            changed = False
            for n in self.nodes:
                m = before = mask[n.id]
                for succ, _label in n.succs:
                    m |= mask.get(succ.id, 0)
                if m != before:
                    mask[n.id] = m
                    changed = True
        names = sorted(bits, key=bits.__getitem__)
        sets: dict[int, frozenset[str]] = {0: none}
        for m in set(mask.values()):
            if m not in sets:
                sets[m] = frozenset(name for i, name in enumerate(names) if m >> i & 1)
        self._live = {k: sets[mask[k]] for k in reads}
        return self._live

    def cond_ids(self, key: str) -> frozenset[str]:
        """Identifiers a condition key depends on (assigning one forgets the condition)."""
        ids = self._ids.get(key)
        if ids is None:
            names = {m.group() for m in _IDENT.finditer(key)} - _NOT_VARS
            # ``mm != &init_mm``: the address of a variable never changes, whatever is stored in it
            # (``mmap_write_lock(&init_mm)`` passes it out, which rebinds ``init_mm``, not ``&init_mm``)
            used = {m.group() for m in _IDENT.finditer(_ADDRESS_OF.sub("", key))}
            ids = frozenset(names & used)
            self._ids[key] = ids
        return ids

    def private_names(self) -> frozenset[str]:
        """Variables declared in the function body (their values change only by its own stores)."""
        if self._private is None:
            self._private = frozenset(
                w for n in self.nodes if n.ast is not None and n.ast.type == "declaration" for w in n.writes
            ) | _param_names(self.fv)
        return self._private

    def callees(self) -> frozenset[str]:
        """Names of every function the graph calls."""
        if self._callees is None:
            self._callees = frozenset(c.name for n in self.nodes for c in n.calls)
        return self._callees

    def is_private(self, key: str) -> bool:
        """A condition key built only from plain variables of this function (``queued``, ``a != b``).
        With the declarations unseen (a fragment starting mid-function) any identifier may be one."""
        m = _MACRO_TEST.fullmatch(key)
        if m is not None and not _SHARED_SYNTAX.search(m.group(1)):
            # ``PMSG_IS_AUTO(message)`` of a by-value parameter or local: the macro can read only the
            # function's own copy (``IS_DEADDIR(dir)`` of a pointer may read shared memory: not private)
            inner = {i for i in self.cond_ids(m.group(1)) if not _MACRO_CONST.match(i)}
            if inner and inner <= self.value_names():
                return True
        if _SHARED_SYNTAX.search(key):
            return False  # a dereference or a call reads memory other CPUs write
        ids = {i for i in self.cond_ids(key) if not _MACRO_CONST.match(i)}
        if ids <= self.private_names():
            return True
        return self.fv.fragment and not self.fv.start_visible

    def value_names(self) -> frozenset[str]:
        """Parameters and locals declared without a pointer or array declarator (a struct or a scalar)."""
        memo = self.__dict__.get("_rk_values")
        if memo is None:
            memo = self.__dict__["_rk_values"] = _value_names(self.fv)
        return memo


class _Builder:
    def __init__(self, fv: FunctionView, noreturn: frozenset[str], asserts: frozenset[str] = frozenset()) -> None:
        self.fv = fv
        self.parsed = fv.parsed
        self._pointers: frozenset[str] | None = None
        self._given: frozenset[str] | None = None
        self._lists_changed: bool | None = None
        self.noreturn = noreturn
        self.asserts = asserts
        whole = fv._whole[0] if fv._whole is not None else fv.parsed  # the file, where it was parsed whole
        self.constants: Mapping[str, str] = whole.__dict__.get("_header_constants", {})
        """The file's and its headers' constant macros (:mod:`reviewkit.views.includes`), where known."""
        self.nodes: list[CfgNode] = []
        self.labels: dict[str, CfgNode] = {}
        self.errors = 0
        self.exit = self.new(K_EXIT)
        self.breaks: list[CfgNode] = []
        self.loop_breaks: list[list[CfgNode] | None] = []
        """Per enclosing ``break`` target: the break nodes that leave that loop (None for a ``switch``)."""
        self.continues: list[CfgNode] = []
        self.jumps: dict[str, CfgNode] = {}

    # -- helpers -----------------------------------------------------------

    def new(self, kind: str, ast: Node | None = None, succs: Iterable[tuple[CfgNode, Any]] = ()) -> CfgNode:
        n = CfgNode(len(self.nodes), kind, ast, succs=list(succs))
        if ast is not None:
            n.line = self.fv.real_line(ast)
            n.text = self.parsed.text(ast)
            if kind == K_COND and self.parsed.normalized[ast.start_byte : ast.end_byte].strip(b"() ") == b"_":
                n.text = self._directive(ast) or n.text
            n.calls = self.calls_of(ast)
            rebinds: set[str] = set()
            n.writes = frozenset(_writes(self.parsed, ast, rebinds))
            n.rebinds = frozenset(rebinds)
            if rebinds and ("++" in n.text or "--" in n.text or "+=" in n.text or "-=" in n.text):
                n.steps = _pointer_steps(self.parsed, ast, self.pointers()) & n.rebinds
            if kind in (K_STMT, K_RETURN):
                n.assigns = tuple(_const_assigns(self.parsed, ast))
        self.nodes.append(n)
        return n

    def _directive(self, ast: Node) -> str | None:
        """The condition of the ``#ifdef`` a configuration alternative was written from (``if(_){``)."""
        src = self.parsed.source
        start = src.rfind(b"\n", 0, ast.start_byte) + 1
        end = src.find(b"\n", ast.start_byte)
        return directive_condition(src[start : end if end >= 0 else len(src)].decode("utf-8", "replace"))

    def pointers(self) -> frozenset[str]:
        """Parameters and locals declared as pointers (``struct rl_elem *rl``)."""
        if self._pointers is None:
            self._pointers = _pointer_names(self.fv)
        return self._pointers

    def calls_of(self, ast: Node) -> list[Call]:
        out = []
        for c in iter_calls(self.parsed, ast):
            line = self.fv.real_line_of_row(c.node.start_point[0]) or 0
            out.append(Call(c.name, c.args, line, c.node))
        return out

    def list_empty_key(self, head_text: str) -> str | None:
        """``list_empty(&stream->master_list)`` for ``list_for_each_entry(m_rt, &stream->master_list,
        stream_node)`` in a whole function that changes no list (no ``list_del()``, ``list_add()``...) and
        gives the list's owner to no call: every walk over the list then runs, or none does.  None for the
        walks that start elsewhere (``_continue``, ``_from``) or may see the list change (``_rcu``)."""
        m = _WHOLE_LIST_WALK.match(head_text)
        if m is None or self.fv.fragment or self.fv.function is None:
            return None
        args = _split_args(head_text[m.end() :])
        where = 2 if m.group(1).endswith("_safe") or m.group(1).endswith("_safe_reverse") else 1
        if len(args) <= where:
            return None
        lst = "".join(args[where].split())
        root = _IDENT.match(lst.lstrip("&("))
        if root is None or self._changes_lists() or root.group() in self._given_first():
            return None  # (the function changes a list, or a callee given the list's owner may)
        return f"list_empty({lst})"

    def _changes_lists(self) -> bool:
        """Does the function call a list-changing API (``list_del()``, ``list_add()``...)?  Once per function."""
        if self._lists_changed is None:
            fn = self.fv.function
            self._lists_changed = fn is None or bool(_LIST_CHANGE.search(self.parsed.text(fn.body)))
        return self._lists_changed

    def _given_first(self) -> frozenset[str]:
        """The first word of every argument of the function's calls, iterator macros aside (``stream`` of
        ``f(&stream->x)``): the objects the callees are given.  Once per function."""
        if self._given is None:
            fn = self.fv.function
            calls = [c for c in self.calls_of(fn.body) if "for_each" not in c.name] if fn is not None else []
            self._given = frozenset(m.group(1) for c in calls for a in c.args if (m := _FIRST_WORD.match(a)))
        return self._given

    def mark_loop(self, first: int, name: str, body: CfgNode, after: CfgNode) -> None:
        """Name the cond atoms created since node ``first`` as the test of a loop (for path messages)."""
        for n in self.nodes[first:]:
            if n.kind != K_COND:
                continue
            n.loop = name or "loop"
            n.loop_edges = tuple(
                (label, "runs" if succ is body else "ends") for succ, label in n.succs if succ is body or succ is after
            )

    def jump_out(self, name: str, nxt: CfgNode) -> CfgNode:
        """Where a ``break``/``continue`` whose loop or switch the view does not show goes.

        In a fragment the stitcher repairs the block around it, but the header
        that owns it is unseen code: the jump leaves the visible region for
        code nobody can see (the loop's end, its next iteration), never the
        next visible statement.  It is modelled like a ``goto`` to a label the
        view does not show (``unseen``; named by the keyword, which no C label
        can be).  A whole function with such a jump is broken C: the old
        fall-through is kept there.
        """
        if not self.fv.fragment:
            return nxt
        key = f"<{name}>"
        node = self.jumps.get(key)
        if node is None:
            node = self.new(K_LABEL, None, [(self.exit, None)])
            node.label = node.text = name
            node.unseen = True
            self.jumps[key] = node
        return node

    def label_node(self, name: str) -> CfgNode:
        if name not in self.labels:
            node = self.new(K_LABEL)
            node.label = name
            self.labels[name] = node
        return self.labels[name]

    # -- statements --------------------------------------------------------

    def seq(self, stmts: list[Node], nxt: CfgNode) -> CfgNode:
        for s in reversed(stmts):
            nxt = self.stmt(s, nxt)
        return nxt

    def stmt(self, s: Node, nxt: CfgNode) -> CfgNode:
        t = s.type
        if t in ("compound_statement", "translation_unit") or t.startswith("preproc_"):
            return self.seq([c for c in s.named_children if _is_stmt(c)], nxt)
        if t == "if_statement":
            cons = s.child_by_field_name("consequence")
            alt = s.child_by_field_name("alternative")
            if alt is not None and alt.type == "else_clause":
                alt = next((c for c in alt.named_children if _is_stmt(c)), None)
            t_node = self.stmt(cons, nxt) if cons is not None else nxt
            f_node = self.stmt(alt, nxt) if alt is not None else nxt
            return self.cond(s.child_by_field_name("condition"), t_node, f_node)
        if t in ("while_statement", "for_statement"):
            return self.loop(s, nxt)
        if t == "do_statement":
            return self.do_loop(s, nxt)
        if t == "switch_statement":
            return self.switch(s, nxt)
        if t == "return_statement":
            return self.new(K_RETURN, s, [(self.exit, None)])
        if t == "goto_statement":
            lab = s.child_by_field_name("label")
            name = self.parsed.text(lab) if lab is not None else ""
            return self.new(K_GOTO, s, [(self.label_node(name), None)])
        if t == "labeled_statement":
            lab = s.child_by_field_name("label")
            node = self.label_node(self.parsed.text(lab) if lab is not None else "")
            node.line = self.fv.real_line(s)
            node.text = node.label or ""
            inner = [c for c in s.named_children if c is not lab and _is_stmt(c)]
            node.succs = [(self.seq(inner, nxt), None)]
            return node
        if t == "break_statement":
            node = self.new(K_STMT, s, [(self.breaks[-1] if self.breaks else self.jump_out("break", nxt), None)])
            if self.loop_breaks and self.loop_breaks[-1] is not None:
                self.loop_breaks[-1].append(node)
            return node
        if t == "continue_statement":
            target = self.continues[-1] if self.continues else self.jump_out("continue", nxt)
            return self.new(K_STMT, s, [(target, None)])
        if t == "case_statement":  # a case outside a switch body's top level: treat as its statements
            return self.seq([c for c in s.named_children if _is_stmt(c) and c != s.child_by_field_name("value")], nxt)
        if t == "ERROR" or s.is_missing:
            self.errors += 1
            return self.new(K_STMT, s, [(nxt, None)])
        if t == "expression_statement":
            gap = self.fv.gap_index(s)
            if gap is not None:
                node = self.new(K_GAP, s, [(nxt, None)])
                node.gap, node.calls = gap, []
                node.gap_to_end = gap < len(self.fv.gaps) and self.fv.gaps[gap].before is None
                node.line = self.fv.gaps[gap].after if gap < len(self.fv.gaps) else None
                return node
            if not s.named_children:
                return nxt  # the empty statement ";"
        if s.has_error:
            self.errors += 1
        cond = _asserted(s, self.asserts)
        if cond is not None:
            # BUG_ON(x): the path goes on only where x is false (madvise_collapse()'s
            # ``BUG_ON(mmap_locked)`` says which way a lock flag went)
            stop = self.new(K_NORETURN, s, [])
            return self.cond(cond, stop, nxt)
        node = self.new(K_STMT, s, [(nxt, None)])
        if any(c.name in self.noreturn for c in node.calls) and _is_plain_call(s, self.noreturn):
            node.kind, node.succs = K_NORETURN, []
        return node

    def cond(self, expr: Node | None, t_node: CfgNode, f_node: CfgNode) -> CfgNode:
        """Short-circuit decomposition of a condition into atom ``cond`` nodes."""
        while expr is not None and expr.type == "parenthesized_expression" and expr.named_children:
            expr = expr.named_children[0]
        if expr is None:
            return t_node
        if expr.type == "unary_expression" and self._op(expr) == "!":
            return self.cond(expr.child_by_field_name("argument"), f_node, t_node)
        if expr.type == "binary_expression":
            op = self._op(expr)
            left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
            if op == "&&":
                return self.cond(left, self.cond(right, t_node, f_node), f_node)
            if op == "||":
                return self.cond(left, t_node, self.cond(right, t_node, f_node))
            if op in ("==", "!=") and left is not None and right is not None:
                rtext = self.parsed.text(right).strip()
                if rtext in _NULLISH:
                    swap = op == "=="
                    return self.cond(left, f_node if swap else t_node, t_node if swap else f_node)
        if expr.type == "call_expression":
            fn = expr.child_by_field_name("function")
            args = expr.child_by_field_name("arguments")
            if fn is not None and self.parsed.text(fn) in _WRAPPERS and args is not None and args.named_children:
                return self.cond(args.named_children[0], t_node, f_node)
        text = self.parsed.text(expr).strip()
        if text in ("0", "false"):
            return f_node
        if text in ("1", "true"):
            return t_node
        folded = folded_comparison(self.parsed, expr, self.constants)
        if folded is not None:
            return t_node if folded else f_node
        node = self.new(K_COND, expr, [(t_node, True), (f_node, False)])
        counted = _counter_test(self.parsed, expr)
        if counted is not None:
            node.cond_key, node.negated = counted
        elif _plain_condition(self.parsed, expr, node):
            node.cond_key = norm(text)
            ordered = _ordered(self.parsed, expr)
            if ordered is not None:
                node.cond_key, node.negated = ordered
            elif expr.type == "binary_expression" and self._op(expr) == "!=":
                # ``gfp != GFP_ATOMIC`` tests what ``gfp == GFP_ATOMIC`` does, with the other truth: one key
                left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
                if left is not None and right is not None:
                    node.cond_key = norm(self.parsed.text(left)) + "==" + norm(self.parsed.text(right))
                    node.negated = True
        node.compare = _compare(self.parsed, expr)
        node.sign = sign_atom(self.parsed, expr)
        return node

    def _op(self, expr: Node) -> str:
        op = expr.child_by_field_name("operator")
        return self.parsed.text(op) if op is not None else ""

    def loop(self, s: Node, nxt: CfgNode) -> CfgNode:
        head = self.new(K_LOOP)
        head.line = self.fv.real_line(s)
        head.text = self.parsed.text(s).split("\n", 1)[0].strip()
        update = s.child_by_field_name("update") if s.type == "for_statement" else None
        back = head
        if update is not None:
            back = self.new(K_STMT, update, [(head, None)])
        body = s.child_by_field_name("body")
        self.breaks.append(nxt)
        self.loop_breaks.append([])
        self.continues.append(back)
        body_entry = self.stmt(body, back) if body is not None else back
        self.breaks.pop()
        leaving = self.loop_breaks.pop() or []
        self.continues.pop()
        cond = s.child_by_field_name("condition")
        empty: str | None = None
        if cond is None:
            head.succs = [(body_entry, None)]
        elif _is_iterator(self.parsed, s):
            it = self.new(K_COND, cond, [(body_entry, True), (nxt, False)])
            it.text = head.text
            it.calls = []  # the macro's arguments are not calls made by the function
            it.writes = frozenset(_cursor_args(self.parsed, cond))
            it.rebinds = it.writes
            head.succs = [(it, None)]
            head.loop_writes = it.writes
            head.loop_rebinds = it.writes
            name = _IDENT.match(head.text)
            empty = self.list_empty_key(head.text)
            if empty is not None:
                # the first test of a walk over a whole list the function never changes: whether the list
                # is empty, as every other first test of a walk over it (the back edge tests ``it`` again)
                opener = self.new(K_COND, cond, [(body_entry, True), (nxt, False)])
                opener.text, opener.calls, opener.writes, opener.rebinds = head.text, [], it.writes, it.rebinds
                opener.cond_key, opener.negated, opener.opener = empty, True, True
            made = 2 if empty is not None else 1
            self.mark_loop(len(self.nodes) - made, name.group() if name else "", body_entry, nxt)
        else:
            first = len(self.nodes)
            test = self.cond(cond, body_entry, nxt)
            head.succs = [(test, None)]
            self.mark_loop(first, s.type.removesuffix("_statement"), body_entry, nxt)
            self.not_run_out(test, body_entry, nxt, leaving, body)
        body_rebinds: set[str] = set()
        head.loop_writes = head.loop_writes | frozenset(_writes(self.parsed, s, body_rebinds))
        head.loop_rebinds = head.loop_rebinds | frozenset(body_rebinds)
        entry = self.nodes[-1] if empty is not None else head  # (the opener, made last)
        init = s.child_by_field_name("initializer") if s.type == "for_statement" else None
        if init is not None:
            entry = self.new(K_STMT, init, [(head, None)])
        return entry

    def do_loop(self, s: Node, nxt: CfgNode) -> CfgNode:
        head = self.new(K_LOOP)
        head.line = self.fv.real_line(s)
        head.text = "do"
        first = len(self.nodes)
        cond_entry = self.cond(s.child_by_field_name("condition"), head, nxt)
        self.mark_loop(first, "do-while", head, nxt)
        self.breaks.append(nxt)
        self.loop_breaks.append([])
        self.continues.append(cond_entry)
        body = s.child_by_field_name("body")
        body_entry = self.stmt(body, cond_entry) if body is not None else cond_entry
        self.breaks.pop()
        self.not_run_out(cond_entry, head, nxt, self.loop_breaks.pop() or [], body)
        self.continues.pop()
        head.succs = [(body_entry, None)]
        body_rebinds: set[str] = set()
        head.loop_writes = frozenset(_writes(self.parsed, s, body_rebinds))
        head.loop_rebinds = frozenset(body_rebinds)
        return head

    def not_run_out(
        self, test: CfgNode, runs: CfgNode, ends: CfgNode, leaving: list[CfgNode], body: Node | None
    ) -> None:
        """Mark the ``break``s of a loop whose test is one counter comparison (``++cnt < max``, ``--left >
        0``): leaving by a break, the loop had not run out, and a later ``if (cnt >= max)`` says so.
        (For a ``do``-``while`` the first pass is taken as within the bound too: a bound that never
        admits one pass is not how counted loops are written.)  Not when the body writes the counter
        or the bound: the test then says nothing about the value at the break."""
        key = test.cond_key
        if not leaving or test.kind != K_COND or key is None or not _COMPARISON.search(key):
            return
        if {lab: succ for succ, lab in test.succs} != {True: runs, False: ends}:
            return  # a compound test (``&&``, ``||``): more than one atom decides
        written = frozenset(_writes(self.parsed, body)) if body is not None else frozenset()
        if any(re.search(r"(?<![\w>.])" + re.escape(w) + r"(?!\w)", key) for w in written):
            return
        for node in leaving:
            node.assume = (key, not test.negated)

    def switch(self, s: Node, nxt: CfgNode) -> CfgNode:
        node = self.new(K_SWITCH, s.child_by_field_name("condition"))
        node.line = self.fv.real_line(s)
        var = node.ast
        while var is not None and var.type == "parenthesized_expression" and var.named_children:
            var = var.named_children[0]
        if var is not None and var.type == "identifier":
            # ``int stage = 1; if (...) stage = 2; switch (stage)``: a stored constant picks the case
            node.compare = (self.parsed.text(var), "switch", "")
        body = s.child_by_field_name("body")
        cases = [c for c in body.named_children if c.type == "case_statement"] if body is not None else []
        self.breaks.append(nxt)
        self.loop_breaks.append(None)
        follow = nxt
        edges: list[tuple[CfgNode, Any]] = []
        has_default = False
        for case in reversed(cases):
            value = case.child_by_field_name("value")
            stmts = [c for c in case.named_children if c is not value and _is_stmt(c)]
            follow = self.seq(stmts, follow)
            if value is None:
                has_default = True
                edges.append((follow, "default"))
            else:
                edges.append((follow, f"case {self.parsed.text(value)}"))
        self.breaks.pop()
        self.loop_breaks.pop()
        edges.reverse()
        if not has_default:
            edges.append((nxt, "default"))
        node.succs = edges
        return node


_CONST = re.compile(r"^(?:-?\d+[uUlL]*|0x[0-9a-fA-F]+[uUlL]*|NULL|true|false|[A-Z][A-Z0-9_]*|-E[A-Z0-9]+)$")
"""(``-ERESTARTSYS``: an error code, never zero.)"""
_PATH = re.compile(r"^[a-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*$")
"""A variable or a member path of one (``of->prealloc_buf``): what a copy ``buf = of->prealloc_buf`` reads."""
COPY = "="
"""Prefix of a recorded value that is a copy of a path, not a constant: ``("buf", "=of->prealloc_buf")``."""


def _value(text: str) -> str | None:
    """What ``x = text`` lets a later test of ``x`` decide: a constant, or a copy of a variable's path."""
    text = " ".join(text.split())
    if _CONST.match(text):
        return text
    return COPY + norm(text) if _PATH.match(norm(text)) else None


def _const_assigns(parsed: Any, ast: Node) -> list[tuple[str, str]]:
    """``x = C;`` / ``T x = C;`` at the top of a statement (not nested in conditions)."""
    out = []
    expr = ast.named_children[0] if ast.type == "expression_statement" and ast.named_children else None
    exprs = [expr] if expr is not None else []
    if expr is not None and expr.type == "comma_expression":
        exprs = list(expr.named_children)
    for e in exprs:
        if e.type == "assignment_expression" and parsed.text(e.child_by_field_name("operator") or e) == "=":
            left, right = e.child_by_field_name("left"), e.child_by_field_name("right")
            if left is not None and right is not None and _stored_path(parsed, left):
                got = _value(parsed.text(right))
                path = norm(parsed.text(left))
                if got is not None and got != COPY + path and not (left.type != "identifier" and got.startswith(COPY)):
                    out.append((path, got))
    if ast.type == "declaration":
        for decl in ast.children_by_field_name("declarator"):
            if decl.type == "init_declarator":
                name, value = decl.child_by_field_name("declarator"), decl.child_by_field_name("value")
                pointer = False
                while name is not None and name.type == "pointer_declarator":
                    name, pointer = name.child_by_field_name("declarator"), True  # char *buf = of->spare_buf
                if name is not None and value is not None and name.type == "identifier":
                    text = _value(parsed.text(value))
                    if pointer and text is not None and not text.startswith(COPY):
                        continue  # only copies: ``T *p = NULL;`` stays unknown, as it always was
                    if text is not None and text != COPY + parsed.text(name):
                        out.append((parsed.text(name), text))
    return out


def _stored_path(parsed: Any, node: Node) -> bool:
    """A variable, or a member path of one (``tx_info->pending_close``), whose stored constant a later
    test of the same path reads.  The same trust as a remembered condition on shared memory: a callee
    is not assumed to rewrite the member the function itself just set (see :func:`reviewkit.flow.engine.run`)."""
    if node.type == "identifier":
        return True
    return node.type == "field_expression" and _PATH.match(norm(parsed.text(node))) is not None


def _compare(parsed: Any, expr: Node) -> tuple[str, str, str] | None:
    if expr.type == "identifier":
        return (parsed.text(expr), "truth", "")
    if expr.type == "field_expression" and _stored_path(parsed, expr):
        return (norm(parsed.text(expr)), "truth", "")
    if expr.type == "binary_expression":
        op = expr.child_by_field_name("operator")
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        op_text = parsed.text(op) if op is not None else ""
        if op_text in ("==", "!=") and left is not None and right is not None and left.type == "identifier":
            value = _value(parsed.text(right))
            if value is not None:
                # ``buf == of->prealloc_buf`` after ``buf = of->prealloc_buf``: true until either is written
                return (parsed.text(left), op_text, value)
    return None


_JOINS = ("&&", "||")
_GUARDED = frozenset({"conditional_expression", "sizeof_expression", "alignof_expression", "offsetof_expression"})


_TESTS = re.compile(r"\?|&&|\|\||\bif\b|\bwhile\b|\bfor\b")
_MACRO_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^()]*)\)")


def macro_derefs(parsed: Any) -> dict[str, frozenset[int]]:
    """Function-like macros of the file that dereference a parameter unconditionally (``#define
    pcpu_spin_unlock(member, ptr) ({ spin_unlock(&ptr->member); ... })``, and macros passing a parameter
    on to one), by the positions of those parameters.  A body that tests anything is left out.  Read
    once per parse (cached on it)."""
    got = parsed.__dict__.get("_macro_derefs")
    if got is not None:
        return got
    text = parsed.source.decode("utf-8", "replace") if b"->" in parsed.source else ""
    defs = []
    found = list(FUNCTION_MACRO.finditer(text))
    seen: dict[str, int] = {}
    for m in found:
        seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    for m in found:
        if seen[m.group(1)] > 1:
            continue  # one definition per configuration (``#ifdef``): not every build dereferences
        body = m.group(3).replace("\\\n", " ")
        params = [p.strip() for p in m.group(2).split(",")]
        if not _TESTS.search(body) and all(re.fullmatch(r"\w+", p) for p in params):
            defs.append((m.group(1), params, body))
    out: dict[str, set[int]] = {}
    for name, params, body in defs:
        for i, p in enumerate(params):
            if re.search(rf"(?<![\w.>])\(?\s*{re.escape(p)}\s*\)?\s*->", body):
                out.setdefault(name, set()).add(i)
    for _ in range(3):  # a macro over a macro (pcp_spin_unlock() over pcpu_spin_unlock())
        grew = False
        for name, params, body in defs:
            for call in _MACRO_CALL.finditer(body):
                inner = out.get(call.group(1), set())
                args = [a.strip().strip("()").strip() for a in call.group(2).split(",")]
                for k in inner:
                    if k < len(args) and args[k] in params and params.index(args[k]) not in out.get(name, set()):
                        out.setdefault(name, set()).add(params.index(args[k]))
                        grew = True
        if not grew:
            break
    got = {name: frozenset(pos) for name, pos in out.items()}
    parsed.__dict__["_macro_derefs"] = got
    return got


def node_derefs(cfg: CFG, n: CfgNode) -> frozenset[str]:
    """What ``n`` dereferences (:attr:`CfgNode.derefs`): a path that knows one of them is NULL there does
    not run (:func:`reviewkit.flow.engine.run` drops it).  Empty for a node that tests something on the
    way (``p ? p->x : 0``, ``p && p->x``) or names them only in ``sizeof``.  Read once per node."""
    if n.derefs is None:
        if n.ast is None or not (n.calls or "->" in n.text):
            n.derefs = frozenset()
        else:
            fv = cfg.fv
            whole = fv._whole[0] if fv._whole is not None else fv.parsed
            n.derefs = _derefs(fv.parsed, n.ast, macro_derefs(whole))
    return n.derefs


def _derefs(parsed: Any, ast: Node, macros: dict[str, frozenset[int]]) -> frozenset[str]:
    """Identifiers ``ast`` dereferences with ``->``, itself or as the argument of a macro that does (see
    :attr:`CfgNode.derefs`)."""
    out: set[str] = set()
    for cur in _walk(ast):
        t = cur.type
        if t in _GUARDED or (t == "binary_expression" and parsed.text(cur.child_by_field_name("operator")) in _JOINS):
            return frozenset()
        if t == "call_expression":
            fn = cur.child_by_field_name("function")
            name = parsed.text(fn) if fn is not None else ""
            if name in ("typeof", "__typeof__", "offsetof", "__builtin_offsetof"):
                return frozenset()
            args = cur.child_by_field_name("arguments")
            for k in macros.get(name, ()):
                given = args.named_children if args is not None else []
                if k < len(given) and given[k].type == "identifier":
                    out.add(parsed.text(given[k]))
        if t == "field_expression" and parsed.text(cur.child_by_field_name("operator")) == "->":
            base = cur.child_by_field_name("argument")
            if base is not None and base.type == "identifier":
                out.add(parsed.text(base))
    return frozenset(out)


_INT = re.compile(r"^(-?)(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CONSTANT_SIDE = re.compile(r"^\(*(?:[A-Z][A-Z0-9_]*|-?(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*)\)*$")
_ORDER = {"==": (0,), "!=": (-1, 1), "<": (-1,), ">": (1,), "<=": (-1, 0), ">=": (0, 1)}


def _constant(text: str, constants: Mapping[str, str]) -> int | str | None:
    """An integer, or the upper-case name a chain of constant macros ends at (an enum value, say)."""
    for _ in range(8):
        text = "".join(text.split())
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
        m = _INT.match(text)
        if m:
            digits = m.group(2)
            # C's ``0644`` is octal (Python's base 0 refuses a leading zero)
            base = 8 if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX" else 0
            try:
                return int(digits, base) * (-1 if m.group(1) else 1)
            except ValueError:
                return None  # ``09``: not C either
        if not _NAME.match(text):
            return None
        if text not in constants:
            return text
        text = constants[text]
    return None


def folded_comparison(parsed: Any, expr: Node, constants: Mapping[str, str]) -> bool | None:
    """The truth of ``A op B`` when both sides are constants (:func:`reviewkit.views.includes.
    header_constants`): two integers, or one name on both sides once the macros are expanded
    (``ETH_FP_HSI_VERSION > ETH_FP_HSI_VER_2`` with ``#define ETH_FP_HSI_VERSION (ETH_FP_HSI_VER_2)``:
    false).  None when either side is not known."""
    while expr.type == "parenthesized_expression" and expr.named_children:
        expr = expr.named_children[0]
    if expr.type != "binary_expression":
        return None
    op = expr.child_by_field_name("operator")
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    order = _ORDER.get(parsed.text(op) if op is not None else "")
    if order is None or left is None or right is None:
        return None
    if not all(_CONSTANT_SIDE.match("".join(parsed.text(side).split())) for side in (left, right)):
        return None  # (before the constants are read: most comparisons have a variable on a side)
    a, b = _constant(parsed.text(left), constants), _constant(parsed.text(right), constants)
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return ((a > b) - (a < b)) in order
    if isinstance(a, str) and a == b:
        return 0 in order
    return None


def const_truth(compare: tuple[str, str, str], value: str) -> bool | None:
    """Truth of a cond atom given the variable's known constant value (None: cannot tell)."""
    _var, op, const = compare
    if value.startswith(COPY) or const.startswith(COPY):
        # a copy of a path: equal to that very path (nothing wrote either since), unknown against anything else
        return op == "==" if value == const and op != "truth" else None
    falsy = value in ("0", "NULL", "false", "0x0")
    if op == "truth":
        if falsy:
            return False
        return True if re.match(r"^(?:-?[1-9]\d*|0x0*[1-9a-fA-F][0-9a-fA-F]*|true|-E[A-Z0-9]+$)", value) else None
    if value == const:
        return op == "=="
    both_literal = all(re.match(r"^(?:-?\d|0x|NULL|true|false)", v) for v in (value, const))
    if both_literal or (value.isupper() and const.isupper() and value != const):
        return op == "!="
    return None


def reached(starts: Iterable[CfgNode], avoid: frozenset[int] = frozenset()) -> set[int]:
    """Ids of the nodes reached from ``starts`` along one edge or more, never entering a node whose id is
    in ``avoid``: the one graph walk the lock judges share (a rebinding reaching a use, an exit reached
    around every store)."""
    stack = list(starts)
    out: set[int] = set()
    while stack:
        for nxt, _label in stack.pop().succs:
            if nxt.id not in out and nxt.id not in avoid:
                out.add(nxt.id)
                stack.append(nxt)
    return out


def switch_edges(succs: list[tuple[Any, Any]], value: str) -> list[tuple[Any, Any]] | None:
    """The edges of a ``switch`` on a variable holding the constant ``value`` (None: cannot tell).

    The ``case`` equal to it; ``default`` when every label is a literal (or an upper-case constant)
    other than it; nothing decided when a label is an expression the value may equal."""
    labels = [str(lab)[5:].strip() for _s, lab in succs if str(lab).startswith("case ")]
    hit = [(n, lab) for n, lab in succs if str(lab).startswith("case ") and str(lab)[5:].strip() == value]
    if hit:
        return hit
    literal = re.compile(r"^(?:-?\d+[uUlL]*|0x[0-9a-fA-F]+[uUlL]*|'.')$")
    if literal.match(value) and all(literal.match(lab) for lab in labels):
        return [(n, lab) for n, lab in succs if lab == "default"]
    if _CONST.match(value) and value.isupper() and all(lab.isupper() and _CONST.match(lab) for lab in labels):
        return [(n, lab) for n, lab in succs if lab == "default"]
    return None


def _is_stmt(node: Node) -> bool:
    return node.is_named and node.type not in ("comment", "preproc_arg") and not node.type.endswith("_identifier")


def _is_plain_call(s: Node, noreturn: frozenset[str]) -> bool:
    """``BUG();`` as a statement (not ``x = f() ?: BUG()`` deep inside an expression)."""
    expr = s.named_children[0] if s.named_children else None
    if expr is None or expr.type != "call_expression":
        return False
    fn = expr.child_by_field_name("function")
    return fn is not None and fn.type == "identifier" and (fn.text or b"").decode() in noreturn


_WHOLE_LIST_WALK = re.compile(r"^(h?list_for_each(?:_entry)?(?:_safe)?(?:_reverse|_prev)?(?:_safe_reverse)?)\s*\(")
_FIRST_WORD = re.compile(r"\W*(\w+)")
_LIST_CHANGE = re.compile(r"\b(?:h?list_(?:del|move|splice|cut|replace|rotate|add|bulk|swap)\w*|INIT_H?LIST_HEAD)\s*\(")


def _split_args(text: str) -> list[str]:
    """The top-level comma-separated arguments of a call's text from after its ``(`` to its ``)``."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                out.append(cur)
                return out
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    return out


def _is_iterator(parsed: Any, s: Node) -> bool:
    """A loop the normaliser rewrote from an iterator macro: its original text does not start with the keyword."""
    return s.type == "while_statement" and not parsed.text(s).startswith("while")


_COMPARISON = re.compile(r"[<>]")
_NEGATED_ORDER = {"<=": ">", ">=": "<"}


def case_keys(node: CfgNode) -> list[tuple[str, Any]]:
    """``(key, edge label)`` per ``case`` of a switch on a variable: ``mode==HWLOCK_IRQ`` for ``case
    HWLOCK_IRQ:``, the key ``if (mode == HWLOCK_IRQ)`` has, so a second switch (or an ``if``) on the
    same variable follows the case the first one took."""
    if node.compare is None:
        return []
    memo = node.cases if node.cases is not None else _cases(node)
    got = memo.get("keys")
    if got is None:
        var = node.compare[0]
        got = memo["keys"] = [
            (f"{var}=={norm(str(lab)[5:])}", lab) for _s, lab in node.succs if str(lab).startswith("case ")
        ]
    return list(got)


def case_truths(node: CfgNode, label: Any) -> frozenset[tuple[str, bool]]:
    """What taking ``label`` out of a switch on a variable says: that case's key true, or on ``default``
    every case's key false."""
    memo = node.cases if node.cases is not None else _cases(node)
    got = memo.get(("truths", label))
    if got is None:
        keys = case_keys(node)
        if label == "default":
            got = frozenset((k, False) for k, _lab in keys)
        else:
            got = frozenset((k, True) for k, lab in keys if lab == label)
        memo[("truths", label)] = got
    return got


def _cases(node: CfgNode) -> dict[Any, Any]:
    node.cases = {}
    return node.cases


def _ordered(parsed: Any, expr: Node) -> tuple[str, bool] | None:
    """``a <= b`` tests what ``a > b`` does, with the other truth (and ``a >= b`` what ``a < b`` does):
    one key, so ``if (cnt >= max)`` and ``while (cnt < max)`` agree.  None for other tests."""
    if expr.type != "binary_expression":
        return None
    op = expr.child_by_field_name("operator")
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    op_text = parsed.text(op) if op is not None else ""
    if op_text not in _NEGATED_ORDER or left is None or right is None:
        return None
    return norm(parsed.text(left)) + _NEGATED_ORDER[op_text] + norm(parsed.text(right)), True


def _counter_test(parsed: Any, expr: Node) -> tuple[str, bool] | None:
    """``++cnt < max`` / ``--left > 0``: a loop counter stepped, then compared; the key is the comparison
    of the new value (``cnt<max``), which the node's own write makes true or false from here on."""
    if expr.type != "binary_expression":
        return None
    op = expr.child_by_field_name("operator")
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    op_text = parsed.text(op) if op is not None else ""
    if op_text not in ("<", ">", "<=", ">=") or left is None or right is None or left.type != "update_expression":
        return None
    arg = left.child_by_field_name("argument")
    if arg is None or arg.type != "identifier" or not parsed.text(left).lstrip().startswith(("++", "--")):
        return None  # (``cnt++ < max`` tests the old value)
    stack = [right]
    while stack:
        cur = stack.pop()
        if cur.type in ("assignment_expression", "update_expression", "comma_expression", "call_expression"):
            return None
        stack.extend(cur.children)
    name, bound = parsed.text(arg), norm(parsed.text(right))
    if op_text in _NEGATED_ORDER:
        return name + _NEGATED_ORDER[op_text] + bound, True
    return name + op_text + bound, False


def _plain_condition(parsed: Any, expr: Node, node: CfgNode) -> bool:
    """Whose truth can be remembered: no assignment, no ``++``/``--``, no call that changes state."""
    stack = [expr]
    while stack:
        cur = stack.pop()
        if cur.type in ("assignment_expression", "update_expression", "comma_expression"):
            return False
        stack.extend(cur.children)
    return not any(c.name.endswith(("trylock", "_lock", "lock_killable", "lock_interruptible")) for c in node.calls)


def _cursor_args(parsed: Any, cond: Node) -> set[str]:
    """The cursors an iterator macro assigns: its bare-identifier arguments (not ``&head->list``)."""
    out: set[str] = set()
    for n in _walk(cond):
        if n.type == "argument_list":
            out.update(parsed.text(a) for a in n.named_children if a.type == "identifier")
            break
    if not out:
        # the normaliser keeps the macro's argument list as the loop's condition: ``(t, smt_mask)``
        inner = cond
        while inner.type == "parenthesized_expression" and inner.named_children:
            inner = inner.named_children[0]
        items = []
        while inner.type == "comma_expression":
            left, right = inner.child_by_field_name("left"), inner.child_by_field_name("right")
            if left is not None:
                items.append(left)
            if right is None:
                break
            inner = right
        items.append(inner)
        out.update(parsed.text(a) for a in items if a.type == "identifier")
    return out


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(cur.children)


def _root_ident(parsed: Any, node: Node | None) -> str | None:
    while node is not None:
        if node.type == "identifier":
            return parsed.text(node)
        if node.type in ("field_expression", "subscript_expression"):
            node = node.child_by_field_name("argument")
        elif node.type in ("pointer_expression", "parenthesized_expression", "cast_expression"):
            node = (
                node.child_by_field_name("argument")
                or node.child_by_field_name("value")
                or (node.named_children[-1] if node.named_children else None)
            )
        else:
            return None
    return None


_WRITING = ("assignment_expression", "update_expression", "init_declarator", "declaration", "pointer_expression")
"""The syntax :func:`_writes` reads (each on its own: the order they are met in does not matter)."""


def _writes(parsed: Any, node: Node, rebinds: set[str] | None = None) -> set[str]:
    """Identifiers ``node`` may assign: lvalues, ``++``/``--``, declarations, ``&x`` arguments.

    ``rebinds`` (filled when given) gets the narrower :attr:`CfgNode.rebinds`.
    """
    out: set[str] = set()
    rebound = rebinds if rebinds is not None else set()
    for cur in descendants(node, _WRITING):
        t = cur.type
        target: Node | None = None
        if t == "assignment_expression":
            target = cur.child_by_field_name("left")
            lhs_text = parsed.text(target) if target is not None else ""
            if target is not None and target.type in ("field_expression", "subscript_expression"):
                out.add(norm(lhs_text))
        elif t == "update_expression":
            target = cur.child_by_field_name("argument")
        elif t == "init_declarator":
            target = cur.child_by_field_name("declarator")
        elif t == "declaration":
            for decl in cur.children_by_field_name("declarator"):
                if decl.type != "init_declarator":
                    name = next((parsed.text(n) for n in _walk(decl) if n.type == "identifier"), None)
                    out.update([name] if name else [])
                    rebound.update([name] if name else [])
        elif t == "pointer_expression" and parsed.text(cur).startswith("&"):
            arg = cur.child_by_field_name("argument")
            target = arg if arg is not None and arg.type == "identifier" else None
        name = _root_ident(parsed, target) if target is not None else None
        if target is not None and name is None and target.type in ("pointer_declarator", "array_declarator"):
            name = next((parsed.text(n) for n in _walk(target) if n.type == "identifier"), None)
        if name:
            out.add(name)
            whole = target is not None and target.type in ("identifier", "pointer_declarator", "array_declarator")
            rebound.add(name if whole or t == "init_declarator" else norm(parsed.text(target)))
    return out


def _asserted(s: Node, asserts: frozenset[str]) -> Node | None:
    """The condition of ``BUG_ON(cond);`` as a statement, when its name is in ``[flow] asserts``."""
    if not asserts or s.type != "expression_statement" or not s.named_children:
        return None
    expr = s.named_children[0]
    if expr.type != "call_expression":
        return None
    fn, args = expr.child_by_field_name("function"), expr.child_by_field_name("arguments")
    if fn is None or fn.type != "identifier" or (fn.text or b"").decode() not in asserts or args is None:
        return None
    return args.named_children[0] if len(args.named_children) == 1 else None


def _model(kernel: dict[str, Any] | None) -> KernelModel:
    """The run's model; the built-in tables when none is given; a plain mapping (a test's own tables) wrapped."""
    if isinstance(kernel, KernelModel):
        return kernel
    return builtin_model() if kernel is None else KernelModel(kernel)


_NORETURN_DECL = re.compile(r"(?:__noreturn|__attribute__\s*\(\(\s*(?:__)?noreturn(?:__)?\s*\)\))[^;{(]*?\b(\w+)\s*\(")


def file_noreturn(fv: FunctionView, base: frozenset[str]) -> frozenset[str]:
    """``base`` and the functions of ``fv``'s file that never return: declared ``__noreturn`` (in the file
    or, where the views read them, in its headers), or whose
    body has no ``return`` and ends, as its last statement, in a call that does not return
    (``aha152x_error()`` printing and then calling ``panic()``).  A caller that calls one after
    dropping a lock does not go on to drop it again.  Read once per parse (cached on it)."""
    parsed = fv._whole[0] if fv._whole is not None else fv.parsed  # the file, where it was parsed whole
    memo = parsed.__dict__.setdefault("_noreturn_memo", {})
    got = memo.get(base)
    if got is not None:
        return got
    text = parsed.source.decode("utf-8", "replace") if b"noreturn" in parsed.source else ""
    found = {m.group(1) for m in _NORETURN_DECL.finditer(text)}
    found |= parsed.__dict__.get("_header_noreturn", frozenset())  # the headers' (views.includes)
    functions = parsed.functions()
    for _ in range(3):
        more = {f.name for f in functions if f.name not in found and _ends_in(parsed, f.body, base | found)}
        if not more:
            break
        found |= more
    memo[base] = got = base | found
    return got


def _ends_in(parsed: Any, body: Node, names: frozenset[str] | set[str]) -> bool:
    """Does the block's last statement call one of ``names`` as a statement of its own, with no
    ``return`` anywhere before it (``no_context()`` returns when a fixup handles the fault)?"""
    # (the last statement first: it is cheap, and most bodies have a ``return`` the walk would look for)
    stmts = [c for c in body.named_children if c.type != "comment"]
    if not stmts or stmts[-1].type != "expression_statement" or not stmts[-1].named_children:
        return False
    call = stmts[-1].named_children[0]
    fn = call.child_by_field_name("function") if call.type == "call_expression" else None
    if fn is None or fn.type != "identifier" or parsed.text(fn) not in names:
        return False
    return not (b"return" in parsed.normalized[body.start_byte : body.end_byte] and _has_return(body))


def _has_return(node: Node) -> bool:
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.type == "return_statement":
            return True
        stack.extend(cur.named_children)
    return False


def build_cfg(fv: FunctionView, kernel: dict[str, Any] | None = None) -> CFG:
    """The CFG of ``fv``'s function, built afresh.

    Not cached here: a run's graphs are owned by :class:`reviewkit.facts.Facts`
    (``ctx.facts.cfg(fv)``), which builds each one once.
    """
    model = _model(kernel)
    b = _Builder(fv, file_noreturn(fv, frozenset(model.noreturn)), model.asserts)
    fn = fv.function
    entry = b.new(K_ENTRY)
    if fn is not None:
        entry.line = fv.real_line(fn.node)
        entry.succs = [(b.stmt(fn.body, b.exit), None)]
    else:
        entry.succs = [(b.exit, None)]
        b.errors += 1
    for name, node in b.labels.items():
        if not node.succs:  # goto to a label we never saw (in a gap, or a parse error)
            node.succs = [(b.exit, None)]
            node.text = name
            node.unseen = True
            if not fv.fragment:
                b.errors += 1
    keep_useful(b.nodes)
    _mark_remembered(b.nodes)
    return CFG(fv, entry, b.exit, b.nodes, b.labels, b.errors)


def _mark_remembered(nodes: list[CfgNode]) -> None:
    """Remember only what can prune a later branch: a condition tested twice, a variable compared after a store.

    Remembering every branch would multiply the states by two per ``if``
    for nothing: a truth that is never tested again prunes no path.
    """
    tested: dict[str, int] = {}
    compared: set[str] = set()
    copy_compared: set[str] = set()  # ``buf == of->prealloc_buf``: only such a test reads a copy
    for n in nodes:
        if n.kind == K_COND and n.cond_key is not None:
            tested[n.cond_key] = tested.get(n.cond_key, 0) + 1
        if n.compare is not None and n.compare[2].startswith(COPY):
            copy_compared.add(n.compare[0])
        if (tested_by := n.compare if n.compare is not None else n.sign) is not None:
            compared.add(tested_by[0])
        elif n.kind == K_RETURN and n.ast is not None and n.ast.named_children:
            value = n.ast.named_children[0]
            if value.type == "identifier":  # "t = NULL; ... return t;": summaries read the value off the exit
                compared.add(n.text[6:].strip(" ;\t\n"))
    for n in nodes:
        if n.kind == K_COND and n.cond_key is not None and tested[n.cond_key] > 1:
            n.remember = True
        if n.assigns:
            n.assigns = tuple(
                a for a in n.assigns if a[0] in compared and (a[0] in copy_compared or not a[1].startswith(COPY))
            )


def _pointer_names(fv: FunctionView) -> frozenset[str]:
    """Names declared with a pointer declarator (``struct rl_elem *rl``), parameters and body alike."""
    return declared(fv.parsed, fv.function.node)["pointer"] if fv.function is not None else frozenset()


def _pointer_steps(parsed: Any, node: Node, pointers: frozenset[str]) -> frozenset[str]:
    """Pointers ``node`` changes only by stepping them (``p++``, ``--p``, ``p += n``, ``p -= n``).

    Why: stepping a pointer into its array never makes it NULL, so a test that found it non-NULL
    still holds (``if (!rl) { lock; rl = ...; } ... rl++; ... if (!rl)``: the lock was taken).
    """
    stepped: set[str] = set()
    other: set[str] = set()
    for cur in _walk(node):
        if cur.type == "update_expression":
            arg = cur.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                stepped.add(parsed.text(arg))
        elif cur.type == "assignment_expression":
            left = cur.child_by_field_name("left")
            if left is None or left.type != "identifier":
                continue
            op = cur.child_by_field_name("operator")
            (stepped if op is not None and parsed.text(op) in ("+=", "-=") else other).add(parsed.text(left))
        elif cur.type == "pointer_expression" and parsed.text(cur).startswith("&"):
            arg = cur.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                other.add(parsed.text(arg))
    return frozenset((stepped - other) & pointers)


def _value_names(fv: FunctionView) -> frozenset[str]:
    """Names the function declares (parameters and body declarations) as plain identifiers: no ``*``,
    no ``[]``, so the name holds a value of the function's own, never a way into shared memory."""
    return declared(fv.parsed, fv.function.node)["value"] if fv.function is not None else frozenset()


def _param_names(fv: FunctionView) -> frozenset[str]:
    """Parameter names of the function (passed by value: the function's own copies)."""
    fn = fv.function
    if fn is None:
        return frozenset()
    decl = fn.node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    plist = decl.child_by_field_name("parameters") if decl is not None else None
    out = set()
    for p in plist.named_children if plist is not None else []:
        names = [fn.parsed.text(n) for n in _walk(p) if n.type == "identifier"]
        out.update(names[-1:])
    return frozenset(out)
