"""Same-length rewriting of kernel C so tree-sitter-c parses it.

The contract every caller relies on: ``len(normalize(src)) == len(src)`` and
every newline stays where it was, so byte offsets and line numbers of the
parse tree are those of the original text.  Constructs are *replaced* by
blanks or by C of the same length, never inserted or deleted.

Why each rewrite exists (tree-sitter-c knows plain C, not the kernel's macros):

* conditional compilation: ``#ifdef`` branches that each open a brace make the
  function unbalanced, so only one branch survives where branches are not
  self-contained; multi-line ``#define`` bodies are blanked;
* attribute macros (``__init``, ``__user``, ``__acquires(x)``...) between
  storage class, type and name look like a second type name;
* iterator macros (``list_for_each_entry(...) {``) look like a call followed by
  a block; they become ``while(___(args)){`` so the arguments keep their text;
* declaring macros (``static DEFINE_MUTEX(m);``, ``DECLARE_BITMAP(b, N) = {0};``,
  ``DEFINE_PER_CPU(type, name)``), ``SYSCALL_DEFINEn``/``BPF_CALL_n`` headers,
  type arguments (``container_of(p, struct foo, m)``), ``case 1 ... 3:``.

Matching runs on a *mask*: a copy where comments and string literals are
blanked, so nothing inside them is ever rewritten.  Rewrites go to both the
mask (so later passes see them) and the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# ---------------------------------------------------------------------------
# Tables (data, not code): extend these when a new kernel macro shows up.

#: Attribute-like words blanked wherever they occur as a whole identifier.
ATTRIBUTE_WORDS: tuple[str, ...] = (
    # section placement
    "__init",
    "__exit",
    "__initdata",
    "__exitdata",
    "__initconst",
    "__meminit",
    "__meminitdata",
    "__meminitconst",
    "__ref",
    "__refdata",
    "__refconst",
    "__cpuinit",
    "__cpuinitdata",
    "__devinit",
    "__devexit",
    "__devinitdata",
    "__net_init",
    "__net_exit",
    "__net_initdata",
    "__init_memblock",
    "__initdata_memblock",
    "__init_or_module",
    "__initdata_or_module",
    "__head",
    "__sched",
    "__kprobes",
    "__irq_entry",
    "__softirq_entry",
    "__lockfunc",
    "__entry_text",
    "__exception_irq_entry",
    "__ro_after_init",
    "__read_mostly",
    "__page_aligned_bss",
    "__page_aligned_data",
    "__cacheline_aligned",
    "__cacheline_aligned_in_smp",
    "____cacheline_aligned",
    "____cacheline_aligned_in_smp",
    "____cacheline_internodealigned_in_smp",
    "__cacheline_internodealigned_in_smp",
    "__initcall",
    "__exitcall",
    "__nosavedata",
    "__bss_decrypted",
    "__noinitretpoline",
    "__init_refok",
    "__tagtable",
    # inlining / code generation
    "__always_inline",
    "noinline",
    "__noinline",
    "noinline_for_stack",
    "__cold",
    "__hot",
    "__flatten",
    "__maybe_unused",
    "__always_unused",
    "__used",
    "__unused",
    "__must_check",
    "__pure",
    "__attribute_const__",
    "__noreturn",
    "__weak",
    "__visible",
    "asmlinkage",
    "notrace",
    "noinstr",
    "__noclone",
    "__latent_entropy",
    "__malloc",
    "__packed",
    "__naked",
    "__nocfi",
    "__noscs",
    "__no_kcsan",
    "__no_sanitize_address",
    "__no_sanitize_thread",
    "__no_sanitize_undefined",
    "__no_sanitize_memory",
    "__no_kmsan_checks",
    "__no_profile",
    "__no_stack_protector",
    "__nostackprotector",
    "nokprobe_inline",
    "__fastcall",
    "fastcall",
    "__randomize_layout",
    "__no_randomize_layout",
    "__designated_init",
    "__nonstring",
    "__init_task_data",
    "__kernel",
    "__safe",
    "__nocast",
    "__gnu_inline",
    "__compiletime_error_fallback",
    "__bpf_kfunc",
    "__always_inline__",
    "__ksym",
    "__weak_alias",
    "__iomem_ptr",
    # sparse address spaces / annotations
    "__user",
    "__iomem",
    "__rcu",
    "__percpu",
    "__force",
    "__bitwise",
    "__bitwise__",
    "__private",
    "__must_hold_rcu",
    "__acquire_ret",
    "__release_ret",
)

#: Attribute-like macros that take an argument list; blanked with their arguments.
ATTRIBUTE_CALLS: tuple[str, ...] = (
    "__acquires",
    "__releases",
    "__must_hold",
    "__cond_acquires",
    "__cond_releases",
    "__acquire",
    "__release",
    "__printf",
    "__scanf",
    "__section",
    "__aligned",
    "__attribute__",
    "__attribute",
    "__alloc_size",
    "__assume_aligned",
    "__alias",
    "__diag_ignore",
    "__counted_by",
    "__nocfi_attr",
    "__realloc_size",
    "__designated_init_attr",
    "__compiletime_error",
    "__compiletime_warning",
    "__no_sanitize_or_inline",
    "__cleanup",
    "__retain",
    "__nonnull",
    "__fix_address",
    "__diagnose_as",
    "__access",
    "__format",
)

#: ``__lowercase`` words that are real types and must never be blanked by the generic rule.
_PROTECTED_TYPE = re.compile(
    rb"__(?:[us](?:8|16|32|64|128)|[lb]e(?:16|32|64)|sum16|wsum|poll_t|int128|kernel_\w+|virtio\w*|"
    rb"builtin_\w+|signed__|inline__|restrict|label__|auto_type|typeof__|extension__|volatile__|asm__|"
    rb"const|int\d+_t|uint\d+_t|\w+_t)"
)

#: Words after which a ``__lowercase`` word is a type, not an attribute (``const __le32 x``).
_NOT_A_TYPE_BEFORE = frozenset(
    b"const volatile static extern inline register auto struct union enum return sizeof case goto typedef "
    b"unsigned signed restrict else do if while for switch".split()
)

#: Iterator-like macros whose name does not contain ``for_each``.
ITERATOR_WORDS: tuple[str, ...] = (
    "do_each_thread",
    "do_each_pid_task",
    "do_each_pid_thread",
    "for_each",
    "list_for_each",
    "rbtree_postorder_for_each_entry_safe",
)

#: Macros that take a type argument (besides ``*_entry*``, ``*_t`` and ALL_CAPS macros).
TYPE_ARG_MACROS: tuple[str, ...] = (
    "container_of",
    "container_of_const",
    "container_of_safe",
    "alloc_percpu",
    "alloc_percpu_gfp",
    "sizeof_field",
    "offsetofend",
    "va_arg",
    "typecheck",
    "type_max",
    "type_min",
    "is_signed_type",
    "typeof_member",
    "__same_type",
    "kmem_cache_create_usercopy",
    "per_cpu_ptr",
    "this_cpu_ptr",
)

#: Macros whose arguments must not be touched (real C syntax for types already).
_KEEP_TYPE_ARGS = frozenset(
    b"sizeof typeof __typeof__ __typeof offsetof _Alignof __alignof__ alignof _Generic __builtin_offsetof "
    b"__builtin_types_compatible_p __builtin_va_arg if while for switch return".split()
)

_C_KEYWORDS = frozenset(
    b"auto break case char const continue default do double else enum extern float for goto if inline int "
    b"long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    b"volatile while bool _Bool".split()
)

# ---------------------------------------------------------------------------
# Regex building blocks.


def _balanced(depth: int) -> bytes:
    """A regex for a parenthesised group nested up to ``depth`` levels (newlines allowed)."""
    inner = rb"[^()]*"
    for _ in range(depth):
        inner = rb"(?:[^()]|\(" + inner + rb"\))*"
    return rb"\(" + inner + rb"\)"


_BAL = _balanced(6)
_WORDS = re.compile(rb"(?<![\w.>])(?:" + b"|".join(w.encode() for w in ATTRIBUTE_WORDS) + rb")\b")
_ATTR_CALL = re.compile(rb"(?<![\w.>])(?:" + b"|".join(w.encode() for w in ATTRIBUTE_CALLS) + rb")[ \t]*" + _BAL)
_GENERIC_ATTR = re.compile(rb"(\b[A-Za-z_]\w*|\*)((?:[ \t]+__[a-z][a-z0-9_]*\b(?![ \t]*\())+)(?=\s*[A-Za-z_*(])")
_LOW_WORD = re.compile(rb"__[a-z][a-z0-9_]*")

_COMMENT_OR_STRING = re.compile(rb"/\*.*?\*/|//(?:[^\n\\]|\\.)*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL)
_CONDITIONAL = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b((?:[^\n]*\\\n)*[^\n]*)", re.MULTILINE)
_MULTILINE_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)+[^\n]*", re.MULTILINE)
_PREPROC_LINE = re.compile(rb"^[ \t]*#[^\n]*", re.MULTILINE)
_ITERATOR = re.compile(
    rb"^[ \t]*(?:\}[ \t]*)?(?:else[ \t]+)?"
    rb"(?P<name>[a-z_0-9]*for_each[a-z_0-9]*|" + b"|".join(w.encode() for w in ITERATOR_WORDS) + rb")"
    rb"(?P<gap>[ \t]*)(?P<args>" + _BAL + rb")(?P<ws>[ \t]?)(?=\s*[{A-Za-z_])",
    re.MULTILINE,
)
_DECL_MACRO = re.compile(
    rb"(?P<pre>\b(?:static|extern)[ \t]+(?:const[ \t]+)?(?:__maybe_unused[ \t]+)?)?"
    rb"(?<![\w.>])(?P<name>[A-Z][A-Z0-9_]*)(?P<args>" + _BAL + rb")(?=(?P<post>[ \t]*(?:=(?!=)|;)))"
)
_PER_CPU = re.compile(rb"(?:DEFINE|DECLARE)_PER_CPU\w*")
_SYSCALL = re.compile(rb"^(?P<name>(?:COMPAT_)?SYSCALL_DEFINE\d|BPF_CALL_\d)(?P<args>" + _BAL + rb")", re.MULTILINE)
_TYPE_ARG_CALL = re.compile(
    rb"(?<![\w.>])(?P<name>[A-Za-z_]\w*)[ \t]*\((?=[^;{}]*?(?:\b(?:struct|union|enum|unsigned|signed|long|"
    rb"short|char|int|void|const)\b))"
)
_TYPE_ARG = re.compile(
    rb"(?:(?:const|volatile)[ \t]+)?(?:(?:struct|union|enum)[ \t]+\w+|"
    rb"(?:(?:unsigned|signed|long|short|char|int|void|bool|float|double)\b[ \t]*)+|\w+)"
    rb"(?:[ \t]*(?:const\b|\*))*"
)
_CASE_RANGE = re.compile(rb"\bcase\b[^:;\n]*?(\.\.\.)")
_IDENT = re.compile(rb"[A-Za-z_]\w*")


# ---------------------------------------------------------------------------
# The working buffer.


class _Buffer:
    """Original-length output plus a mask that later passes match against."""

    def __init__(self, src: bytes) -> None:
        self.out = bytearray(src)
        self.mask = bytearray(_COMMENT_OR_STRING.sub(_mask_token, src))

    def snapshot(self) -> bytes:
        return bytes(self.mask)

    def put(self, start: int, data: bytes) -> None:
        """Overwrite ``data`` at ``start`` in output and mask (same length by construction)."""
        end = start + len(data)
        self.out[start:end] = data
        self.mask[start:end] = data

    def blank(self, start: int, end: int) -> None:
        """Spaces over ``[start, end)`` except newlines."""
        if end > start:
            self.put(start, _blanked(self.out[start:end]))


def _blanked(data: bytes | bytearray) -> bytes:
    return b"\n".join(b" " * len(part) for part in bytes(data).split(b"\n"))


def _mask_token(match: re.Match[bytes]) -> bytes:
    """Comments become blanks; string/char literals keep their quotes with a blank inside."""
    text = match.group()
    if text[:1] in (b'"', b"'"):
        return text[:1] + _blanked(text[1:-1]) + text[-1:]
    return _blanked(text)


def _split_args(inner: bytes, base: int) -> list[tuple[int, int]]:
    """Top-level comma-separated spans of an argument list (absolute offsets)."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(inner):
        if ch in b"([{":
            depth += 1
        elif ch in b")]}":
            depth -= 1
        elif ch == 44 and depth == 0:  # ','
            spans.append((base + start, base + i))
            start = i + 1
    spans.append((base + start, base + len(inner)))
    return spans


# ---------------------------------------------------------------------------
# Passes.


def _multiline_defines(buf: _Buffer) -> None:
    """Macro bodies are not C statements; blank them whole (continuation lines too)."""
    for m in _MULTILINE_DEFINE.finditer(buf.snapshot()):
        buf.blank(m.start(), m.end())


def _self_contained(text: bytes) -> bool:
    """A branch that could stand next to its siblings: balanced and ending a statement/definition."""
    code = _PREPROC_LINE.sub(b"", text)
    if code.count(b"{") != code.count(b"}") or code.count(b"(") != code.count(b")"):
        return False
    tail = code.rstrip()
    return not tail or tail[-1:] in (b";", b"}")


def _iter_groups(mask: bytes) -> Iterator[list[re.Match[bytes]]]:
    """``#if ... #endif`` groups, innermost first (unterminated ones at the end)."""
    stack: list[list[re.Match[bytes]]] = []
    for m in _CONDITIONAL.finditer(mask):
        kind = m.group(1)
        if kind.startswith(b"if"):
            stack.append([m])
        elif stack:
            stack[-1].append(m)
            if kind == b"endif":
                yield stack.pop()
    yield from reversed(stack)


def _conditionals(buf: _Buffer) -> None:
    """Flatten conditional compilation: keep all branches when each is self-contained, else the first live one."""
    if b"#" not in buf.mask:
        return
    mask = buf.mask
    for group in _iter_groups(buf.snapshot()):
        ends = [m.start() for m in group[1:]] + ([] if group[-1].group(1) == b"endif" else [len(mask)])
        branches = [(m.end(), end) for m, end in zip(group, ends)]
        live = list(range(len(branches)))
        if group[0].group(1) == b"if" and group[0].group(2).strip() == b"0":
            live = live[1:]
        keep = set(live[:1])
        if all(_self_contained(bytes(mask[a:b])) for a, b in (branches[i] for i in live)):
            keep = set(live)
        for i, (a, b) in enumerate(branches):
            if i not in keep:
                buf.blank(a, b)
        for m in group:
            buf.blank(m.start(), m.end())


def _attributes(buf: _Buffer) -> None:
    """Blank known attribute words and attribute calls, then unknown ``__word``s between type and name."""
    for pattern in (_ATTR_CALL, _WORDS):
        for m in pattern.finditer(buf.snapshot()):
            buf.blank(m.start(), m.end())
    for m in _GENERIC_ATTR.finditer(buf.snapshot()):
        if m.group(1) in _NOT_A_TYPE_BEFORE:
            continue
        base = m.start(2)
        for word in _LOW_WORD.finditer(m.group(2)):
            if not _PROTECTED_TYPE.fullmatch(word.group()):
                buf.blank(base + word.start(), base + word.end())


def _iterators(buf: _Buffer) -> None:
    """``NAME(args) {`` -> ``while(___(args)){``; without a blank to steal, ``while    (args)``."""
    mask = buf.snapshot()
    for m in _ITERATOR.finditer(mask):
        start, end = m.span("name")
        if not _statement_start(mask, start) or _BRACE_AT_COLUMN0.match(mask, m.end("args")):
            continue
        size = end - start
        if m.group("ws"):
            buf.put(start, b"while(" + b"_" * (size - 6))
            buf.put(m.start("ws"), b")")
        else:
            buf.put(start, b"while" + b" " * (size - 5))


_BRACE_AT_COLUMN0 = re.compile(rb"[ \t]*\n\{")


def _statement_start(mask: bytes, pos: int) -> bool:
    """True when the previous significant byte ends a statement, a label, a condition or an ``else``."""
    i = pos - 1
    while i >= 0 and mask[i] in b" \t\n\r\\":
        i -= 1
    if i < 0 or mask[i] in b";{}):":
        return True
    return mask[max(0, i - 4) : i + 1] == b"else" or mask[i:pos].strip() == b"else"


def _decl_macros(buf: _Buffer) -> None:
    """``static DEFINE_X(name, a, b);`` -> ``static DEFINE_X name=( a, b);`` (a declaration of ``name``)."""
    for m in _DECL_MACRO.finditer(buf.snapshot()):
        has_init = m.group("post").strip() == b"="
        if not (m.group("pre") or has_init):
            continue
        a_start, a_end = m.span("args")
        args = _split_args(m.group("args")[1:-1], a_start + 1)
        if _PER_CPU.fullmatch(m.group("name")):
            _per_cpu(buf, m, args)
        elif _IDENT.fullmatch(m.group("args")[1:-1].split(b",")[0].strip()):
            _declare(buf, a_start, a_end, args, has_init)


def _per_cpu(buf: _Buffer, m: re.Match[bytes], args: list[tuple[int, int]]) -> None:
    """``DEFINE_PER_CPU(type, name)`` -> ``               type  name ``."""
    if len(args) != 2:
        return
    buf.blank(*m.span("name"))
    buf.put(m.start("args"), b" ")
    buf.put(args[0][1], b" ")
    buf.put(m.end("args") - 1, b" ")


def _declare(buf: _Buffer, a_start: int, a_end: int, args: list[tuple[int, int]], has_init: bool) -> None:
    buf.put(a_start, b" ")
    if len(args) == 1:
        buf.put(a_end - 1, b" ")
        return
    comma = args[0][1]
    if has_init and len(args) == 2:
        buf.put(comma, b"[")
        buf.put(a_end - 1, b"]")
    elif not has_init and buf.mask[comma + 1 : comma + 2] in (b" ", b"\t"):
        buf.put(comma, b"=(")
    else:
        buf.blank(comma, a_end)


def _syscalls(buf: _Buffer) -> None:
    """``SYSCALL_DEFINE2(name, t1, a1, t2, a2)`` -> ``long            name( t1  a1, t2  a2)``."""
    for m in _SYSCALL.finditer(buf.snapshot()):
        a_start, a_end = m.span("args")
        args = _split_args(m.group("args")[1:-1], a_start + 1)
        head = b"long".ljust(m.end("name") - m.start("name") + 1)
        name_start, name_end = args[0]
        name = bytes(buf.mask[name_start:name_end])
        if not _IDENT.fullmatch(name.strip()):
            continue
        if len(args) == 1:  # SYSCALL_DEFINE0(name): no byte for "(", so the name moves one left
            buf.put(m.start(), head[:-1] + name + b"()")
            continue
        buf.put(m.start(), head)
        buf.put(name_end, b"(")
        for type_span, _arg in zip(args[1::2], args[2::2]):
            buf.put(type_span[1], b" ")


def _type_args(buf: _Buffer) -> None:
    """``container_of(p, struct foo, m)`` -> ``container_of(p, struct_foo, m)``: one identifier per type."""
    mask = buf.snapshot()
    for m in _TYPE_ARG_CALL.finditer(mask):
        name = m.group("name")
        if name in _KEEP_TYPE_ARGS or not _takes_types(name):
            continue
        close = _BAL_RE.match(mask, m.end() - 1)
        if close is None:
            continue
        for a, b in _split_args(mask[m.end() : close.end() - 1], m.end()):
            _rewrite_type_arg(buf, mask, a, b)


_BAL_RE = re.compile(_BAL)
_TAKES_TYPES = re.compile(
    rb"(?:" + b"|".join(w.encode() for w in TYPE_ARG_MACROS) + rb")|\w*_entry\w*|[a-z0-9]+_t|[A-Z][A-Z0-9_]*"
)


def _takes_types(name: bytes) -> bool:
    return _TAKES_TYPES.fullmatch(name) is not None


def _rewrite_type_arg(buf: _Buffer, mask: bytes, a: int, b: int) -> None:
    text = mask[a:b]
    stripped = text.strip()
    if b"\n" in stripped or not stripped or _TYPE_ARG.fullmatch(stripped) is None:
        return
    words = stripped.replace(b"*", b" ").split()
    if len(words) == 1 and words[0] not in _C_KEYWORDS and b"*" not in stripped:
        return  # a plain identifier (u64, member name): already an expression
    lead = len(text) - len(text.lstrip())
    buf.put(a + lead, re.sub(rb"[ \t*]", b"_", stripped))


def _case_ranges(buf: _Buffer) -> None:
    """``case 1 ... 3:`` (GNU) -> ``case 1 +   3:``."""
    for m in _CASE_RANGE.finditer(buf.snapshot()):
        buf.put(m.start(1), b"+  ")


_PASSES = (
    _multiline_defines,
    _conditionals,
    _attributes,
    _syscalls,
    _iterators,
    _decl_macros,
    _type_args,
    _case_ranges,
)


def normalize(src: bytes) -> bytes:
    """Return ``src`` rewritten for tree-sitter, byte for byte the same length, newlines in place."""
    if not src:
        return src
    buf = _Buffer(src)
    for step in _PASSES:
        step(buf)
    return bytes(buf.out)


def macro_name_at(source: bytes, offset: int) -> str:
    """The original identifier at ``offset`` (e.g. the iterator macro behind a rewritten ``while``)."""
    m = _IDENT.match(source, offset)
    return m.group().decode("utf-8", "replace") if m else ""
