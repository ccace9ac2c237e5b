"""Whether a teardown path has already made a live callback harmless (not a rule).

Three ways a callback that is still registered cannot reach what the path
frees, each counted when it keeps the rule quiet:

- ``teardown_order_reached_by_teardown``: every way the callback reaches
  the freed member goes through the teardown function itself (a timer
  callback that expires its object by calling the same ``free_obj()``):
  that is no second user of the object;
- ``teardown_order_gated``: every way goes past an early-return gate
  (``if (ctx->stopped) return;``, see gates.py) that the path closed before
  the free: directly (``priv->status |= STATUS_EXIT``), in a function in
  view it passed the context to, or, when it handed the context to a
  function out of view (``usb_del_gadget_udc(&udc->gadget)``), in a function
  of the file that code outside can call back (an ops table entry): the
  tool cannot tell that the gate is still open, so it says nothing;
- ``teardown_order_device_off``: an IRQ that is not shared, whose device the
  path left switched off at the free (the last thing done to it through the
  context on the path stopped its clock, here or as the last such step of a
  function in view it passed the context to; a nonzero register write or a
  clock enable switches it on again): nothing else raises that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewkit.rules._csyntax import norm_object
from reviewkit.rules.teardown_order.gates import Gate, closes, setters, split_chain
from reviewkit.rules.teardown_order.lifecycle import Link, Model

from reviewkit.api import CfgNode, FunctionView, iter_calls

_DEPTH = 2
_ZERO = ("0", "0U", "0u", "0UL", "0ul")
_TAKEN_RE = re.compile(r"(?:=|,|\()\s*&?\s*([A-Za-z_]\w*)\s*(?=[,;})])")


@dataclass
class Quiesce:
    model: Model
    functions: dict[str, FunctionView]
    file_texts: dict[str, str]
    _memo: dict[tuple[str, str], frozenset[Gate]] = field(default_factory=dict)
    _taken: dict[str, frozenset[Gate]] = field(default_factory=dict)
    _off: dict[str, bool | None] = field(default_factory=dict)

    def reason(self, fv: FunctionView, link: Link, nodes: list[CfgNode]) -> str | None:
        """The counter naming why the hit is not reported, or None to report it."""
        if link.context is None:
            return None
        routes = link.routes
        if routes:
            live = [r for r in routes if fv.name not in r[0]]
            if not live:
                return "teardown_order_reached_by_teardown"
            if all(r[1] for r in live):
                keys = self._path_setters(fv, nodes, link.context)
                if all(any(closes(g, keys) for g in r[1]) for r in live):
                    return "teardown_order_gated"
        if link.kind == "irq" and link.exclusive and self._path_device_off(fv, nodes, link.context):
            return "teardown_order_device_off"
        return None

    def _path_setters(self, fv: FunctionView, nodes: list[CfgNode], context: str) -> set[Gate]:
        root = _root(context)
        keys: set[Gate] = set()
        for node in nodes:
            if node.ast is not None:
                for s_root, (mode, chain, bit) in setters(fv, node.ast, self.model.gate_calls):
                    rel = _relative(s_root, chain, context)
                    if rel is not None:
                        keys.add((mode, rel, bit))
            for call in node.calls:
                if not any(_root(norm_object(a)) == root for a in call.args):
                    continue
                if call.name in self.functions:
                    keys |= self._body_setters(call.name, _DEPTH)
                elif not self.model.is_walker_call(call.name) and call.name not in self.model.destroy:
                    keys |= self._callable_setters(fv.path)
        return keys

    def _body_setters(self, name: str, depth: int) -> frozenset[Gate]:
        """Gate keys any write in ``name`` (and the functions in view it calls) closes, whatever the pointer."""
        key = (name, str(depth))
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()
        fv = self.functions.get(name)
        found: set[Gate] = set()
        if fv is not None and fv.function is not None:
            found = {k for _r, k in setters(fv, fv.function.body, self.model.gate_calls)}
            if depth > 0:
                for call in iter_calls(fv.parsed, fv.function.body):
                    if call.name in self.functions and call.name != name:
                        found |= self._body_setters(call.name, depth - 1)
        self._memo[key] = frozenset(found)
        return self._memo[key]

    def _callable_setters(self, path: str) -> frozenset[Gate]:
        """Keys closed by functions of ``path`` that are handed out (``.stop = foo_stop``): code out of
        view may call them back."""
        if path not in self._taken:
            text = self.file_texts.get(path, "")
            names = {m.group(1) for m in _TAKEN_RE.finditer(text)}
            found: set[Gate] = set()
            for name in sorted(names):
                fv = self.functions.get(name)
                if fv is not None and fv.path == path:
                    found |= self._body_setters(name, _DEPTH)
            self._taken[path] = frozenset(found)
        return self._taken[path]

    def _path_device_off(self, fv: FunctionView, nodes: list[CfgNode], context: str) -> bool:
        """The device is off when the free runs: the last write to it on the path switched it off."""
        root = _root(context)
        off = False
        for node in nodes:
            for call in sorted(node.calls, key=lambda c: c.node.start_byte):
                if not any(_root(norm_object(a)) == root for a in call.args):
                    continue
                effect = self._effect(call.name, call.args)
                if effect is None and call.name in self.functions:
                    effect = self._body_effect(call.name, _DEPTH)
                if effect is not None:
                    off = effect
        return off

    def _effect(self, name: str, args: tuple[str, ...]) -> bool | None:
        """True: the call switches the device off (its clock stopped); False: on again (a clock
        enabled, a nonzero register write); None: neither.

        Writing 0 to a register is neither: which register it is (an enable,
        a brightness, an end-of-interrupt) is not known, so it proves nothing.
        """
        if name in self.model.device_off:
            return True
        if name in self.model.device_on:
            return False
        if self.model.gate_calls.register_write.search(name) is None or any(norm_object(a) in _ZERO for a in args):
            return None
        return False

    def _body_effect(self, name: str, depth: int) -> bool | None:
        """The last device effect of ``name``'s body in source order (functions in view followed)."""
        if name in self._off:
            return self._off[name]
        self._off[name] = None
        fv = self.functions.get(name)
        last: bool | None = None
        if fv is not None and fv.function is not None:
            for call in sorted(iter_calls(fv.parsed, fv.function.body), key=lambda c: c.node.start_byte):
                effect = self._effect(call.name, call.args)
                if effect is None and depth > 0 and call.name in self.functions and call.name != name:
                    effect = self._body_effect(call.name, depth - 1)
                if effect is not None:
                    last = effect
        self._off[name] = last
        return last


def _relative(root: str, chain: str, context: str) -> str | None:
    """``status`` of ``priv->status`` below context ``priv`` (``a->b`` contexts too), else None."""
    c_root, c_chain = split_chain(context)
    if c_root is None:
        return chain if root == context else None
    if root != c_root:
        return None
    for sep in ("->", "."):
        if chain.startswith(c_chain + sep):
            return chain[len(c_chain) + len(sep) :]
    return None


def _root(text: str) -> str:
    m = re.match(r"[A-Za-z_]\w*", text)
    return m.group(0) if m else ""
