"""Same-length rewriting of kernel C so tree-sitter-c parses it.

The contract every caller relies on: ``len(normalize(src)) == len(src)`` and
every newline stays where it was, so byte offsets and line numbers of the
parse tree are those of the original text.  Constructs are *replaced* by
blanks or by C of the same length, never inserted or deleted.

Why each rewrite exists (tree-sitter-c knows plain C, not the kernel's macros):

* conditional compilation: ``#ifdef`` branches that each open a brace leave a
  function unbalanced, so where branches are not self-contained only the first
  live one survives (``#if 0`` counts as dead); directive lines and multi-line
  ``#define`` bodies are blanked;
* attribute macros (``__init``, ``__user``, ``__acquires(x)``...) between
  storage class, type and name look like a second type name;
* iterator macros (``list_for_each_entry(...) {``) look like a call followed by
  a block; they become ``while(___(args)){`` so the arguments keep their text
  and position (:func:`macro_name_at` recovers the macro's name);
* declaring macros (``static DEFINE_MUTEX(m);``, ``DECLARE_BITMAP(b, N) = {0};``,
  ``DEFINE_PER_CPU(type, name)``), ``SYSCALL_DEFINEn``/``BPF_CALL_n`` headers,
  type arguments (``container_of(p, struct foo, m)``), ``case 1 ... 3:``.

Matching runs on a *mask*: a copy where comments and string literals are
blanked, so nothing inside them is ever rewritten.  Rewrites go to both the
mask (so later passes see them) and the output.  Every pass first finds rare
anchor bytes with one compiled regex and only then looks around them, which
keeps the whole thing near regex speed on large files.
"""

# size: one ordered pipeline of same-length rewrites over one masked buffer; each pass relies on the ones before it

from __future__ import annotations

import re
from collections.abc import Iterator

# ---------------------------------------------------------------------------
# Tables (data, not code): extend these when a new kernel macro shows up.


def _words(text: str) -> frozenset[str]:
    """A table written as whitespace-separated words (easier to extend than a list literal)."""
    return frozenset(text.split())


#: Attribute-like words blanked wherever they occur as a whole identifier.
ATTRIBUTE_WORDS: frozenset[str] = _words(
    """
    __init __exit __initdata __exitdata __initconst __meminit __meminitdata __meminitconst __ref __refdata
    __refconst __cpuinit __cpuinitdata __devinit __devexit __devinitdata __net_init __net_exit __net_initdata
    __init_memblock __initdata_memblock __init_or_module __initdata_or_module __head __sched __kprobes
    __irq_entry __softirq_entry __lockfunc __entry_text __exception_irq_entry __ro_after_init __read_mostly
    __page_aligned_bss __page_aligned_data __cacheline_aligned __cacheline_aligned_in_smp ____cacheline_aligned
    ____cacheline_aligned_in_smp ____cacheline_internodealigned_in_smp __cacheline_internodealigned_in_smp
    __initcall __exitcall __nosavedata __bss_decrypted __noinitretpoline __init_refok __tagtable
    __always_inline noinline __noinline noinline_for_stack __cold __hot __flatten __maybe_unused __always_unused
    __used __unused __must_check __pure __attribute_const__ __noreturn __weak __visible asmlinkage notrace
    noinstr __noclone __latent_entropy __malloc __packed __naked __nocfi __noscs __no_kcsan
    __no_sanitize_address __no_sanitize_thread __no_sanitize_undefined __no_sanitize_memory __no_kmsan_checks
    __no_profile __no_stack_protector __nostackprotector nokprobe_inline __fastcall fastcall __randomize_layout
    __no_randomize_layout __designated_init __nonstring __init_task_data __safe __nocast __gnu_inline
    __bpf_kfunc __ksym __user __iomem __rcu __percpu __force __bitwise __bitwise__ __private __kernel
    __no_caller_saved_registers __interrupt __init_or_acpilib __initdata_or_acpilib __cpuidle __nosave
    __sysfs_attr __ftrace_invalid_address__ __annotate_jump_table __noendbr __always_inline_noinstr __mcount_loc
    __aligned_largest
    """
)

#: Words replaced by a same-length C spelling (``STATIC`` is xfs's ``static``).
REPLACE_WORDS: dict[str, str] = {"STATIC": "static"}

#: Upper-case or unprefixed attribute words (kept apart so the candidate regex stays anchored on ``__``).
_PLAIN_ATTRIBUTE_WORDS = _words(
    "asmlinkage notrace noinstr fastcall noinline noinline_for_stack nokprobe_inline forceinline EXPORT_FOR_TESTS"
)

#: Attribute-like macros that take an argument list; blanked together with it.
ATTRIBUTE_CALLS: frozenset[str] = _words(
    """
    __acquires __releases __must_hold __cond_acquires __cond_releases __printf __scanf
    __section __aligned __attribute__ __attribute __alloc_size __assume_aligned __alias __diag_ignore
    __counted_by __realloc_size __compiletime_error __compiletime_warning __cleanup __retain __nonnull
    __format __access __free __no_sanitize_or_inline __diag_push __diag_pop __weak_alias __ATTR_ALIAS
    """
)

#: ``__lowercase`` words that are real types: never blanked by the generic attribute rule.
_PROTECTED_TYPE = re.compile(
    rb"__(?:[us](?:8|16|32|64|128)|[lb]e(?:16|32|64)|sum16|wsum|poll_t|int128|kernel_\w+|virtio\w*|"
    rb"builtin_\w+|signed__|inline__|restrict|label__|auto_type|typeof__|extension__|volatile__|asm__|"
    rb"const|\w+_t)"
)

#: Words after which a ``__lowercase`` word is a type or a value, not an attribute (``const __le32 x``).
_NOT_A_TYPE_BEFORE = frozenset(
    b"""
    const volatile static extern inline register auto struct union enum return sizeof case goto typedef
    unsigned signed restrict else do if while for switch
    """.split()
)

#: Iterator-like macros whose name does not contain ``for_each``.
ITERATOR_WORDS: frozenset[str] = _words(
    "do_each_thread do_each_pid_task do_each_pid_thread while_each_thread scoped_guard scoped_cond_guard"
)

#: Calls whose type arguments are real C already (tree-sitter knows them).
_KEEP_TYPE_ARGS = frozenset(
    b"""
    sizeof typeof __typeof__ __typeof offsetof _Alignof __alignof__ alignof _Generic __builtin_offsetof
    __builtin_types_compatible_p __builtin_va_arg if while for switch return
    """.split()
)

_C_KEYWORDS = frozenset(
    b"""
    auto break case char const continue default do double else enum extern float for goto if inline int
    long register restrict return short signed sizeof static struct switch typedef union unsigned void
    volatile while bool _Bool
    """.split()
)

# ---------------------------------------------------------------------------
# Compiled patterns.


def _balanced(depth: int) -> bytes:
    """A regex for a parenthesised group nested up to ``depth`` levels (newlines allowed)."""
    inner = rb"[^()]*"
    for _ in range(depth):
        inner = rb"(?:[^()]|\(" + inner + rb"\))*"
    return rb"\(" + inner + rb"\)"


class _AtLineStart:
    """``body`` matched at every line start.

    Same matches as ``^body`` with ``re.MULTILINE`` but several times faster:
    the scan is anchored on a literal newline instead of trying every byte.
    The whole match is the named group ``line``.
    """

    def __init__(self, body: bytes) -> None:
        self._first = re.compile(rb"(?P<line>" + body + rb")")
        self._rest = re.compile(rb"\n(?P<line>" + body + rb")")

    def finditer(self, mask: bytes) -> Iterator[re.Match[bytes]]:
        first = self._first.match(mask)
        if first is not None:
            yield first
        yield from self._rest.finditer(mask, first.end("line") if first is not None else 0)

    def match(self, mask: bytes, pos: int) -> re.Match[bytes] | None:
        return self._first.match(mask, pos)


_BAL = _balanced(6)
_BAL_RE = re.compile(_BAL)
_COMMENT_OR_STRING = re.compile(rb"/\*.*?\*/|//(?:[^\n\\]|\\.)*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL)
_CONDITIONAL = _AtLineStart(rb"[ \t]*#[ \t]*(?P<kind>if|ifdef|ifndef|elif|else|endif)\b(?P<cond>(?:[^\n]*\\\n)*[^\n]*)")
_MULTILINE_DEFINE = _AtLineStart(rb"[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)+[^\n]*")
_PREPROC_LINE = re.compile(rb"^[ \t]*#[^\n]*", re.MULTILINE)
# Any identifier that could be an attribute: filtered through the tables in Python.
_ATTR_CANDIDATE = re.compile(rb"__\w+")
_PLAIN_WORD_RES = tuple(
    (w.encode(), re.compile(re.escape(w.encode()) + rb"\b"))
    for w in sorted(_PLAIN_ATTRIBUTE_WORDS | set(REPLACE_WORDS))
)
_PARENS_AHEAD = re.compile(rb"[ \t]*" + _BAL)
_GENERIC_TAIL = re.compile(rb"\b(?![ \t]*\()(?=\s*[A-Za-z_*(])")
_PREV_TOKEN = re.compile(rb"(?:([A-Za-z_]\w*)|(\*))[ \t]+$")
# A call-like statement head: ``NAME(args)`` at the start of a line, maybe after ``}`` / ``else``.
_CALL_HEAD = re.compile(
    rb"[ \t]*(?:\}[ \t]*)?(?:else[ \t]+)?(?P<name>[A-Za-z_]\w*)(?P<gap>[ \t]*)(?P<args>"
    + _BAL
    + rb")(?P<ws>[ \t]?)(?=\s*[{A-Za-z_(*+\-])"
)
_HEAD_WORD = re.compile(rb"[ \t]*(?:\}[ \t]*)?(?:else[ \t]+)?(\w+)")
_ITERATOR_HINTS = (b"_each", b"_EACH", b"foreach", b"scoped_")
_BRACE_EOL = re.compile(rb"\)[ \t]*\{[ \t]*\n")
_SAME_LINE_BRACE = re.compile(rb"[ \t]*\{")
_ITERATOR_NAME = re.compile(rb"\w*(?:for_each|foreach|FOR_EACH)\w*")
_NOT_ITERATORS = frozenset(
    b"if while for switch return sizeof typeof __typeof__ _Alignof __alignof__ offsetof defined asm __asm__ "
    b"volatile __volatile__ do else case goto".split()
)
_BRACE_AT_COLUMN0 = re.compile(rb"[ \t]*\n\{")
_DECL_MACRO = re.compile(rb"(?:DEFINE|DECLARE|HEAD|TREE)[A-Z0-9_]*(?P<args>\()")
_MACRO_NAME_START = re.compile(rb"[A-Z0-9_]*$")
_DECL_PRE = re.compile(rb"\b(?:static|extern)[ \t]+(?:const[ \t]+)?(?:__maybe_unused[ \t]+)?[ \t]*$")
_DECL_POST = re.compile(rb"[ \t]*(?:(=)(?!=)|;)")
_PER_CPU = re.compile(rb"(?:DEFINE|DECLARE)_PER_CPU\w*")
_SYSCALL = _AtLineStart(rb"(?P<name>(?:COMPAT_)?SYSCALL_DEFINE\d|BPF_CALL_\d)(?P<args>" + _BAL + rb")")
# A whole argument that is a type: ``(p, struct foo, m)``, ``(unsigned long, a, b)``, ``(const size_t, ...)``.
_TYPE_ARG_BODY = (
    rb"(?P<arg>(?:(?:const|volatile)[ \t]+)?(?:(?:struct|union|enum)[ \t]+\w+|"
    rb"(?:(?:unsigned|signed|long|short|char|int|void|bool|float|double)\b[ \t]*)+|(?<=const )\w+|(?<=volatile )\w+)"
    rb"(?:[ \t]*(?:const\b|\*))*)(?=[ \t]*[,)])"
)
# Anchored on a literal "(" or "," so the scan runs at memchr speed; both alternatives share the body.
_TYPE_ARGS = (re.compile(rb"\(\s*" + _TYPE_ARG_BODY), re.compile(rb",\s*" + _TYPE_ARG_BODY))
_CALLEE = re.compile(rb"(?:^|([\w*])|[^\w*])[ \t\n]*([A-Za-z_]\w*)[ \t]*$")
_CALL_PREDECESSORS = frozenset(b"return case else do".split())
_EMPTY_PARENS = re.compile(rb"\([ \t]*\)")
_LOOP_TAIL = re.compile(rb"\}[ \t]*(while_each\w*)[ \t]*\(")
# ``NAME(args)`` or a bare ``NAME_WITH_CAPS`` alone on a column-0 line: a file-scope macro with no ``;``.
_BARE_MACRO_LINE = _AtLineStart(rb"(?:[A-Za-z_]\w*[ \t]*" + _BAL + rb"|[A-Z][A-Z0-9]*_[A-Z0-9_]+)[ \t]*(?=\n)")
_BARE_STATEMENT_MACRO = _AtLineStart(
    rb"[ \t]+(?:[A-Z][A-Z0-9_]*[ \t]*" + _BAL + rb"|[A-Z][A-Z0-9]*_[A-Z0-9_]+)[ \t]*(?=\n\s*[A-Za-z_}])"
)
_NEXT_SIGNIFICANT = re.compile(rb"\s*(\S|$)")
_OPERATOR_ARG = re.compile(rb",[ \t]*((?:[=!<>]=|[<>&|]))[ \t]*(?=[,)])")
_STRAY_SEMICOLON = re.compile(rb"\)[ \t]*(;)[ \t]*\)")
_BUILTIN_CALL = re.compile(rb"(?:offsetof|lignof(?:__)?)[ \t]*(?=\()")
_BUILTIN_NAMES = frozenset((b"offsetof", b"__alignof__", b"_Alignof", b"alignof", b"__alignof"))
_DESIGNATOR = re.compile(rb"[\[.*]|->|typeof")
_TYPEOF_DECL = re.compile(rb"typeof(?:__|_member)?[ \t]*(?=\()")
_TYPEOF_NAMES = frozenset((b"typeof", b"__typeof__", b"__typeof", b"typeof_member"))
_WORD_START = re.compile(rb"\w*$")
_DECLARATOR_AHEAD = re.compile(rb"[ \t]*[*(]*[ \t]*[A-Za-z_]\w*[ \t]*[;=,\[)]")
_SIMPLE_TYPE = re.compile(rb"\((?:[ \t]*(?:struct|union|enum|const|unsigned|signed|volatile)?[ \t]*\w+[ \t*]*)\)")
_NON_IDENT = re.compile(rb"[^\w\n]")
_CASE_RANGE = re.compile(rb"case\b[^:;\n]*?(\.\.\.)")
_IDENT = re.compile(rb"[A-Za-z_]\w*")
_ATTRIBUTE_WORDS_B = frozenset(w.encode() for w in ATTRIBUTE_WORDS | _PLAIN_ATTRIBUTE_WORDS)
_REPLACE_WORDS_B = {k.encode(): v.encode() for k, v in REPLACE_WORDS.items()}
_ATTRIBUTE_CALLS_B = frozenset(w.encode() for w in ATTRIBUTE_CALLS)
_ITERATOR_WORDS_B = frozenset(w.encode() for w in ITERATOR_WORDS)


# ---------------------------------------------------------------------------
# The working buffer.


class _Buffer:
    """Original-length output plus a mask (comments and strings blanked) that passes match against."""

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
    """Comments become blanks; string/char literals keep their quotes with blanks inside."""
    text = match.group()
    if text[:1] in (b'"', b"'"):
        return text[:1] + _blanked(text[1:-1]) + text[-1:]
    return _blanked(text)


def _split_args(inner: bytes, base: int) -> list[tuple[int, int]]:
    """Top-level comma-separated spans of an argument list, as absolute offsets."""
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
# Preprocessor.


def _multiline_defines(buf: _Buffer) -> None:
    """Macro bodies are not C statements: blank them whole, continuation lines included."""
    for m in _MULTILINE_DEFINE.finditer(buf.snapshot()):
        buf.blank(*m.span("line"))


def _self_contained(text: bytes) -> bool:
    """A branch that can stand next to its siblings: balanced, and ending a statement or definition."""
    code = _PREPROC_LINE.sub(b"", text)
    if code.count(b"{") != code.count(b"}") or code.count(b"(") != code.count(b")"):
        return False
    tail = code.rstrip()
    return not tail or tail[-1:] in (b";", b"}")


def _iter_groups(mask: bytes) -> Iterator[list[re.Match[bytes]]]:
    """``#if ... #endif`` groups (directive matches), innermost first; unterminated ones last."""
    stack: list[list[re.Match[bytes]]] = []
    for m in _CONDITIONAL.finditer(mask):
        kind = m.group("kind")
        if kind.startswith(b"if"):
            stack.append([m])
        elif stack:
            stack[-1].append(m)
            if kind == b"endif":
                yield stack.pop()
    yield from reversed(stack)


def _kept_branches(group: list[re.Match[bytes]], branches: list[tuple[int, int]], mask: bytearray) -> set[int]:
    """All live branches when each is self-contained (stubs next to real code), else the first live one.

    ``#if 0`` branches are dead.  Only one branch survives where the group is
    the body of an ``if``/``else``/``do`` (``else`` + ``#ifdef`` + ``return a;``
    + ``#else`` + ``return b;``), since two statements there would not parse.
    """
    live = list(range(len(branches)))
    if group[0].group("kind") == b"if" and group[0].group("cond").strip() == b"0":
        live = live[1:]
    if (
        len(live) > 1
        and not _is_body_position(mask, group[0].start("line"))
        and all(_self_contained(bytes(mask[a:b])) for a, b in (branches[i] for i in live))
    ):
        return set(live)
    return set(live[:1])


def _is_body_position(mask: bytearray, pos: int) -> bool:
    """The code before ``pos`` waits for a single statement (``if (x)``, ``else``, ``do``).

    Preprocessor lines (``#define X (1)``, a continued ``#if``) are skipped.
    """
    line_start = pos
    while line_start > 0:
        prev_start = mask.rfind(b"\n", 0, line_start - 1) + 1
        line = bytes(mask[prev_start : line_start - 1])
        continued = mask[max(0, prev_start - 2) : prev_start] == b"\\\n"
        if line.strip() and not line.lstrip().startswith(b"#") and not continued:
            tail = line.rstrip()
            return tail.endswith(b")") or _ENDS_WITH_ELSE_OR_DO.search(tail) is not None
        line_start = prev_start
    return False


_ENDS_WITH_ELSE_OR_DO = re.compile(rb"\b(?:else|do)$")


def _conditionals(buf: _Buffer) -> None:
    """Flatten conditional compilation so that braces balance inside every function."""
    if b"#" not in buf.mask:
        return
    for group in _iter_groups(buf.snapshot()):
        ends = [m.start("line") for m in group[1:]]
        if group[-1].group("kind") != b"endif":
            ends.append(len(buf.mask))
        branches = [(m.end(), end) for m, end in zip(group, ends, strict=False)]
        keep = _kept_branches(group, branches, buf.mask)
        for i, (a, b) in enumerate(branches):
            if i not in keep:
                buf.blank(a, b)
        if len(keep) == 2 and _as_if_else(buf, group, branches):
            continue
        for m in group:
            buf.blank(*m.span("line"))


def _as_if_else(buf: _Buffer, group: list[re.Match[bytes]], branches: list[tuple[int, int]]) -> bool:
    """``#ifdef X`` A ``#else`` B ``#endif`` inside a function body, both self-contained: written as
    ``if(_){`` A ``}else`` ``{``B ``}``, so the two configurations are alternatives, not one after the
    other (two ``mmap_write_unlock()`` in the two branches are one release on each path).

    The ``{`` of the else goes over the first indentation byte of B, so every byte keeps its offset; a
    branch without one, a directive line too short for ``if(_){``, ``#elif`` chains and code outside a
    function stay as they were (both branches in sequence).  The flow graph reads the condition back
    from the directive (:func:`directive_condition`)."""
    kinds = [m.group("kind") for m in group]
    if len(kinds) != 3 or kinds[1] != b"else" or kinds[2] != b"endif" or kinds[0] not in (b"if", b"ifdef", b"ifndef"):
        return False
    (a0, a1), (b0, b1) = branches[0], branches[1]
    first, other, end = (m.span("line") for m in group)
    if first[1] - first[0] < len(_IF_OPEN) or other[1] - other[0] < len(_ELSE) or end[1] - end[0] < 1:
        return False
    if buf.mask.count(b"{", 0, first[0]) - buf.mask.count(b"}", 0, first[0]) <= 0:
        return False  # not inside a function
    if not _statements_only(bytes(buf.mask[a0:a1])) or not _statements_only(bytes(buf.mask[b0:b1])):
        return False
    indent = _INDENT_BYTE.search(buf.mask, b0, b1)
    if indent is None or buf.mask[b0 : indent.start()].strip():
        return False
    for m in group:
        buf.blank(*m.span("line"))
    buf.put(first[0], _IF_OPEN)
    buf.put(other[0], _ELSE)
    buf.put(indent.start(), b"{")
    buf.put(end[0], b"}")
    return True


_IF_OPEN = b"if(_){"
_ELSE = b"}else"
_INDENT_BYTE = re.compile(rb"[ \t]")


def _statements_only(text: bytes) -> bool:
    """Code that can be a block's body: balanced, ending a statement, no preprocessor line left."""
    code = text.strip()
    return bool(code) and _self_contained(text) and not _PREPROC_LINE.search(text) and code[-1:] in (b";", b"}")


def directive_condition(line: str) -> str | None:
    """The C condition of a ``#if``/``#ifdef``/``#ifndef`` line (``CONFIG_64BIT``, ``!CONFIG_SMP``), or
    None for any other line: how a path through an alternative :func:`_as_if_else` wrote is told."""
    m = re.match(r"\s*#\s*(ifdef|ifndef|if)\b(.*)", line)
    if m is None:
        return None
    cond = " ".join(m.group(2).replace("\\\n", " ").split()).split("/*")[0].strip()
    return f"!{cond}" if m.group(1) == "ifndef" else cond


# ---------------------------------------------------------------------------
# Attributes.


def _attributes(buf: _Buffer) -> None:
    """Blank table attributes (with their arguments), then unknown ``__word``s between a type and a name."""
    mask = buf.snapshot()
    unknown: list[re.Match[bytes]] = []
    for m in _attribute_candidates(mask):
        word = m.group()
        if word in _ATTRIBUTE_WORDS_B:
            buf.blank(m.start(), m.end())
        elif word in _REPLACE_WORDS_B:
            buf.put(m.start(), _REPLACE_WORDS_B[word])
        elif word in _ATTRIBUTE_CALLS_B:
            args = _PARENS_AHEAD.match(mask, m.end())
            if args:
                buf.blank(m.start(), args.end())
        elif word[:2] == b"__" and word[2:3].islower():
            unknown.append(m)
    for m in unknown:
        if _is_generic_attribute(buf.mask, m):
            buf.blank(m.start(), m.end())


def _attribute_candidates(mask: bytes) -> Iterator[re.Match[bytes]]:
    """Whole identifiers starting with ``__``, then the few plain attribute words present in the file."""
    for m in _ATTR_CANDIDATE.finditer(mask):
        if m.start() == 0 or mask[m.start() - 1] not in _WORD_OR_MEMBER:
            yield m
    for word, pattern in _PLAIN_WORD_RES:
        if word in mask:
            for m in pattern.finditer(mask):
                if m.start() == 0 or mask[m.start() - 1] not in _WORD_OR_MEMBER:
                    yield m


_WORD_OR_MEMBER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.>")


def _is_generic_attribute(mask: bytearray, m: re.Match[bytes]) -> bool:
    """``TYPE __word NAME``: a lowercase ``__word`` after a type word or ``*`` and before a declarator."""
    word = m.group()
    if _PROTECTED_TYPE.fullmatch(word) or not word.replace(b"_", b"").isalnum() or word != word.lower():
        return False
    if _GENERIC_TAIL.match(mask, m.end()) is None:
        return False
    prev = _PREV_TOKEN.search(bytes(mask[max(0, m.start() - 64) : m.start()]))
    if prev is None:
        return False
    return prev.group(2) is not None or prev.group(1) not in _NOT_A_TYPE_BEFORE


# ---------------------------------------------------------------------------
# Iterator macros.


def _iterators(buf: _Buffer) -> None:
    """``NAME(args) {`` -> ``while(___(args)){``; with no blank to steal, ``while    (args)``.

    Iterator names (``*for_each*``, ``*foreach*``, :data:`ITERATOR_WORDS`) are
    rewritten before a block or a single statement; any other name only before
    a ``{`` on the same line, which plain C never allows after a call.
    """
    mask = buf.snapshot()
    for line_start in _iterator_lines(mask):
        m = _CALL_HEAD.match(mask, line_start)
        if m is None:
            continue
        name = m.group("name")
        if name in _NOT_ITERATORS:
            continue
        is_iterator = _ITERATOR_NAME.fullmatch(name) is not None or name in _ITERATOR_WORDS_B
        if not is_iterator and _SAME_LINE_BRACE.match(mask, m.end("args")) is None:
            continue
        if not _statement_start(mask, m.start("name")) or _BRACE_AT_COLUMN0.match(mask, m.end("args")):
            continue
        _rewrite_iterator(buf, m)


def _iterator_lines(mask: bytes) -> list[int]:
    """Starts of lines that may open an iterator: a hint word on the line, or the line ends in ``) {``."""
    starts: set[int] = set()
    for hint in _ITERATOR_HINTS:
        pos = mask.find(hint)
        while pos != -1:
            starts.add(mask.rfind(b"\n", 0, pos) + 1)
            pos = mask.find(hint, pos + 1)
    for m in _BRACE_EOL.finditer(mask):
        line_start = _line_of_open_paren(mask, m.start())
        word = _HEAD_WORD.match(mask, line_start)
        if word is not None and word.group(1) not in _NOT_ITERATORS:
            starts.add(line_start)
    return sorted(starts)


def _line_of_open_paren(mask: bytes, close: int) -> int:
    """Start of the line holding the ``(`` that matches the ``)`` at ``close`` (multi-line heads)."""
    line_start = mask.rfind(b"\n", 0, close) + 1
    line = mask[line_start:close]
    if line.count(b"(") >= line.count(b")") + 1:
        return line_start
    depth = 0
    for i in range(close, max(-1, close - 2000), -1):
        ch = mask[i]
        if ch == 41:  # ')'
            depth += 1
        elif ch == 40:  # '('
            depth -= 1
            if depth == 0:
                return mask.rfind(b"\n", 0, i) + 1
        elif ch in b";{}":
            break
    return line_start


def _rewrite_iterator(buf: _Buffer, m: re.Match[bytes]) -> None:
    """Same-length loop header; the longest form that fits keeps the arguments as a call."""
    start, end = m.span("name")
    size = end - start
    if m.group("ws") and size >= 7:
        buf.put(start, b"while(" + b"_" * (size - 6))
        buf.put(m.start("ws"), b")")
    elif size >= 5:
        buf.put(start, b"while".ljust(size))
    else:  # too short for "while": a same-length "if" still gives the block a statement
        buf.put(start, b"if".ljust(size))


def _statement_start(mask: bytes, pos: int) -> bool:
    """The previous significant byte ends a statement, a label or a condition, or is an ``else``.

    This is what tells ``for_each_x(a) {`` (a loop) from a function definition
    named ``for_each_x`` whose return type sits on the previous line.
    """
    i = pos - 1
    while i >= 0 and mask[i] in b" \t\n\r\\":
        i -= 1
    if i < 0 or mask[i] in b";{}):":
        return True
    return mask[max(0, i - 3) : i + 1] == b"else"


# ---------------------------------------------------------------------------
# Declaring macros, syscall headers, type arguments, case ranges.


def _decl_macros(buf: _Buffer) -> None:
    """``static DEFINE_X(name, a, b);`` -> ``static DEFINE_X name=( a, b);``: a declaration of ``name``."""
    mask = buf.snapshot()
    for m in _DECL_MACRO.finditer(mask):
        hit = _MACRO_NAME_START.search(mask, max(0, m.start() - 48), m.start())
        name_start = hit.start() if hit is not None else m.start()  # the pattern can match empty: always found
        if name_start > 0 and mask[name_start - 1] in _WORD_OR_MEMBER:
            continue
        args_m = _BAL_RE.match(mask, m.start("args"))
        if args_m is None:
            continue
        post = _DECL_POST.match(mask, args_m.end())
        if post is None:
            continue
        has_init = post.group(1) is not None
        if not has_init and _DECL_PRE.search(mask, max(0, name_start - 48), name_start) is None:
            continue
        a_start, a_end = args_m.span()
        args = _split_args(mask[a_start + 1 : a_end - 1], a_start + 1)
        if _PER_CPU.fullmatch(mask, name_start, a_start):
            _per_cpu(buf, (name_start, a_start), a_start, a_end, args)
        elif _IDENT.fullmatch(mask[args[0][0] : args[0][1]].strip()):
            _declare(buf, a_start, a_end, args, has_init)


def _per_cpu(buf: _Buffer, name: tuple[int, int], a_start: int, a_end: int, args: list[tuple[int, int]]) -> None:
    """``DEFINE_PER_CPU(type, name)`` -> blanks + ``type  name ``: a plain declaration."""
    if len(args) != 2:
        return
    buf.blank(*name)
    buf.put(a_start, b" ")
    buf.put(args[0][1], b" ")
    buf.put(a_end - 1, b" ")


def _declare(buf: _Buffer, a_start: int, a_end: int, args: list[tuple[int, int]], has_init: bool) -> None:
    """Turn ``(name, rest)`` into a declarator that keeps every argument's text where possible."""
    buf.put(a_start, b" ")
    if len(args) == 1:
        buf.put(a_end - 1, b" ")
        return
    comma = args[0][1]
    if has_init and len(args) == 2:  # DECLARE_BITMAP(b, N) = {0}  ->  b[ N] = {0}
        buf.put(comma, b"[")
        buf.put(a_end - 1, b"]")
    elif not has_init and buf.mask[comma + 1 : comma + 2] in (b" ", b"\t"):  # name=( a, b)
        buf.put(comma, b"=(")
    else:
        buf.blank(comma, a_end)


def _syscalls(buf: _Buffer) -> None:
    """``SYSCALL_DEFINE2(name, t1, a1, t2, a2)`` -> ``long            name( t1  a1, t2  a2)``."""
    for m in _SYSCALL.finditer(buf.snapshot()):
        a_start, _ = m.span("args")
        args = _split_args(m.group("args")[1:-1], a_start + 1)
        name_start, name_end = args[0]
        name = bytes(buf.mask[name_start:name_end])
        if not _IDENT.fullmatch(name) or len(args) % 2 == 0:
            continue
        head = b"long".ljust(m.end("name") - m.start("name") + 1)
        if len(args) == 1:  # SYSCALL_DEFINE0(name): no spare byte for "(", so the name moves one left
            buf.put(m.start("line"), head[:-1] + name + b"()")
            continue
        buf.put(m.start("line"), head)
        buf.put(name_end, b"(")
        for type_start_end in args[1::2]:
            buf.put(type_start_end[1], b" ")


def _type_args(buf: _Buffer) -> None:
    """``container_of(p, struct foo, m)`` -> ``container_of(p, struct_foo, m)``: one identifier per type."""
    mask = buf.snapshot()
    for m in _type_arg_matches(mask):
        text = m.group("arg").rstrip()
        words = text.replace(b"*", b" ").split()
        if b"\n" in text or (len(words) == 1 and words[0] not in _C_KEYWORDS and b"*" not in text):
            continue  # a plain identifier (u64, a member name) is already an expression
        if mask[m.start()] == 40 and mask[max(0, m.start() - 32) : m.start()].rstrip()[-1:] not in _IDENT_TAIL:
            continue  # "(unsigned long)x": a cast, not a call (the common case, so checked cheaply first)
        callee = _callee_of(mask, m.start())
        if callee is None or callee in _KEEP_TYPE_ARGS:
            continue
        buf.put(m.start("arg"), re.sub(rb"[ \t*]", b"_", text))


_IDENT_TAIL = frozenset(bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _type_arg_matches(mask: bytes) -> Iterator[re.Match[bytes]]:
    for pattern in _TYPE_ARGS:
        yield from pattern.finditer(mask)


def _callee_of(mask: bytes, pos: int) -> bytes | None:
    """Name of the call whose argument list holds ``pos`` (an opening paren or a top-level comma).

    ``None`` when the parenthesis is not a call: a cast, an index, or a
    prototype (``int foo(struct bar *);``: the name follows a type word or ``*``).
    """
    depth = 0
    i = pos if mask[pos] == 40 else pos - 1  # 40 = '('
    limit = max(0, pos - 2000)
    while i >= limit:
        ch = mask[i]
        if ch in b")]":
            depth += 1
        elif ch in b"([":
            if depth == 0:
                if ch == 91:  # '[': inside an index, not a call
                    return None
                callee = _CALLEE.search(mask, max(0, i - 64), i)
                if callee is None:
                    return None
                before = callee.group(1)
                if before and (before == b"*" or _word_before(mask, callee.start(2)) not in _CALL_PREDECESSORS):
                    return None
                return callee.group(2)
            depth -= 1
        elif ch in b";{}":
            return None
        i -= 1
    return None


def _word_before(mask: bytes, pos: int) -> bytes:
    m = _PREV_TOKEN.search(mask, max(0, pos - 64), pos)
    return m.group(1) or b"" if m else b""


def _loop_tails(buf: _Buffer) -> None:
    """``} while_each_thread(g, t);`` closes a ``do {``: it becomes ``} while            (g, t);``."""
    if b"while_each" not in buf.mask:
        return
    mask = buf.snapshot()
    for m in _LOOP_TAIL.finditer(mask):
        start, end = m.span(1)
        if _EMPTY_PARENS.match(mask, m.end() - 1):  # no condition to keep: "while(1)" + blanks
            buf.put(start, b"while(1)".ljust(m.end() + 1 - start))
        else:
            buf.put(start, b"while".ljust(end - start))


def _bare_macro_lines(buf: _Buffer) -> None:
    """File-scope ``NOKPROBE_SYMBOL(f)`` / ``BTF_ID(struct, x)`` / ``subsys_initcall(f)`` with no ``;``.

    Without the ``;`` tree-sitter glues the macro onto the next definition; the
    line is blanked when it follows a finished statement or definition and the
    next code starts a new column-0 declaration (not the ``{`` of a body).
    """
    mask = buf.snapshot()
    for m in _BARE_MACRO_LINE.finditer(mask):
        start, end = m.span("line")
        nxt = _NEXT_SIGNIFICANT.match(mask, end)
        if nxt is None or nxt.group(1) in (b"{", b";", b",", b")", b"=", b"("):
            continue
        if nxt.group(1) and mask[nxt.start(1) - 1 : nxt.start(1)] not in (b"\n", b""):
            continue
        if _statement_start(mask, start):
            buf.blank(start, end)
    for m in _BARE_STATEMENT_MACRO.finditer(mask):  # inside a body: "\tDEC_NLINK(dir)\n\tgoto out;"
        start, end = m.span("line")
        if _statement_start(mask, start):
            buf.blank(start, end)


def _odd_arguments(buf: _Buffer) -> None:
    """Arguments that are not expressions: ``ASSERTCMP(a, ==, b)``, ``ASSERT(x, f(y););``."""
    mask = buf.snapshot()
    for m in _OPERATOR_ARG.finditer(mask):
        buf.put(m.start(1), b"_" * len(m.group(1)))
    for m in _STRAY_SEMICOLON.finditer(mask):
        if _callee_of(mask, m.start(1)) not in (None, b"for"):
            buf.put(m.start(1), b" ")


def _builtins(buf: _Buffer) -> None:
    """``offsetof(T, a[i])``, ``__alignof__(*p)``, ``typeof(p->x) v``: spellings tree-sitter-c rejects.

    ``offsetof``/``alignof`` with a designator or expression become upper-case
    calls (ordinary identifiers, so the type-argument pass handles ``T``); a
    ``typeof(expression)`` used as a declaration's type becomes one identifier.
    """
    mask = buf.snapshot()
    if b"offsetof" in mask or b"lignof" in mask:
        for m in _BUILTIN_CALL.finditer(mask):
            start = _word_start(mask, m.start())
            if mask[start : m.end()].rstrip() not in _BUILTIN_NAMES or mask[start - 1 : start] in (b".", b">"):
                continue
            args = _BAL_RE.match(mask, m.end())
            if args and _DESIGNATOR.search(args.group()[1:]):
                buf.put(start, mask[start : m.end()].upper())
    if b"typeof" not in mask:
        return
    for m in _TYPEOF_DECL.finditer(mask):
        start = _word_start(mask, m.start())
        if mask[start : m.end()].rstrip() not in _TYPEOF_NAMES or mask[start - 1 : start] in (b".", b">"):
            continue
        args = _BAL_RE.match(mask, m.end())
        if args is None or b"\n" in args.group():
            continue
        if _is_argument(mask, start, args.end()) or (
            _DECLARATOR_AHEAD.match(mask, args.end()) and not _SIMPLE_TYPE.fullmatch(args.group())
        ):
            buf.put(args.start(), _NON_IDENT.sub(b"_", args.group()))


def _word_start(mask: bytes, pos: int) -> int:
    """Start of the identifier that contains ``pos`` (the regexes anchor on a literal inside it)."""
    m = _WORD_START.search(mask, max(0, pos - 16), pos)
    return m.start() if m else pos


def _is_argument(mask: bytes, start: int, end: int) -> bool:
    """``[start, end)`` is a whole argument of a call: ``f(a, typeof(struct x), b)``."""
    before = mask[max(0, start - 64) : start].rstrip()
    return before[-1:] in (b"(", b",") and _ARG_END.match(mask, end) is not None


_ARG_END = re.compile(rb"\s*[,)]")


def _case_ranges(buf: _Buffer) -> None:
    """``case 1 ... 3:`` (a GNU range) -> ``case 1 +   3:``."""
    if b"..." not in buf.mask:
        return
    mask = buf.snapshot()
    for m in _CASE_RANGE.finditer(mask):
        if mask[m.start() - 1] not in _WORD_OR_MEMBER:
            buf.put(m.start(1), b"+  ")


_PASSES = (
    _multiline_defines,
    _conditionals,
    _attributes,
    _syscalls,
    _bare_macro_lines,
    _iterators,
    _loop_tails,
    _odd_arguments,
    _builtins,
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


FUNCTION_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)", re.MULTILINE)
"""A function-like ``#define``: its name, its parameter list and its body (continuation lines included),
for the readers of macros as code (lock wrappers, macros that dereference an argument)."""


def macro_name_at(source: bytes, offset: int) -> str:
    """The original identifier at ``offset``, e.g. the iterator macro behind a rewritten ``while``."""
    m = _IDENT.match(source, offset)
    return m.group().decode("utf-8", "replace") if m else ""


def callee_name(source: bytes, normalized: bytes, start: int, end: int) -> str:
    """Original name of the callee spanning ``[start, end)``.

    For an iterator rewritten to ``while(____(args))`` the callee is the run of
    underscores, whose original bytes are a slice of the macro name; the real
    name (``list_for_each_entry``) starts at the ``while``, six bytes earlier.
    """
    text = normalized[start:end]
    if text and not text.strip(b"_") and normalized[max(0, start - 6) : start] == b"while(":
        return macro_name_at(source, start - 6)
    return source[start:end].decode("utf-8", "replace")
