"""normalize(): same length, same newlines, and kernel constructs parse clean afterwards.

All snippets are synthetic kernel-style C written for these tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewkit.cparse.normalize import directive_condition, macro_name_at, normalize
from reviewkit.cparse.parse import parse


def newline_offsets(data: bytes) -> list[int]:
    return [i for i, byte in enumerate(data) if byte == 10]


def assert_shape(src: bytes) -> bytes:
    """normalize(src), checked against the length and newline contract."""
    out = normalize(src)
    assert len(out) == len(src)
    assert newline_offsets(out) == newline_offsets(src)
    return out


def clean_names(src: bytes, *, raw: bool = False) -> dict[str, bool]:
    return {fn.name: fn.clean for fn in parse(src, raw=raw).functions()}


def parses_clean(src: bytes, *, raw: bool = False) -> bool:
    names = clean_names(src, raw=raw)
    return bool(names) and all(names.values())


# (id, source, function that must come out clean)
CONSTRUCTS: list[tuple[str, bytes, str]] = [
    ("init_attr", b"static int __init widget_setup(void)\n{\n\treturn 0;\n}\n", "widget_setup"),
    ("weak", b"int __weak arch_widget_count(void)\n{\n\treturn 1;\n}\n", "arch_widget_count"),
    (
        "user_ptr",
        b"static long widget_copy(const char __user *ubuf, size_t len)\n{\n\treturn len;\n}\n",
        "widget_copy",
    ),
    (
        "releases",
        b"static void widget_unlock(struct widget *w) __releases(&w->lock)\n{\n\tspin_unlock(&w->lock);\n}\n",
        "widget_unlock",
    ),
    (
        "unknown_attr",
        b"int __init_widgetmem widget_reserve(unsigned long base,\n\t\tunsigned long size)\n{\n\treturn 0;\n}\n",
        "widget_reserve",
    ),
    (
        "force_cast",
        b"static int widget_flags(gfp_t g)\n{\n\treturn (__force int)(g & WIDGET_MASK);\n}\n",
        "widget_flags",
    ),
    (
        "list_iter",
        b"static void widget_drain(struct list_head *head)\n{\n\tstruct widget *w, *tmp;\n\n"
        b"\tlist_for_each_entry_safe(w, tmp, head, node) {\n\t\tlist_del(&w->node);\n\t\tkfree(w);\n\t}\n}\n",
        "widget_drain",
    ),
    (
        "multiline_iter",
        b"static void widget_walk(struct widget_tree *t)\n{\n\tstruct widget *w;\n\n"
        b"\thlist_for_each_entry_rcu(w, &t->hash, link,\n\t\t\t\t lockdep_is_held(&t->lock)) {\n"
        b"\t\twidget_poke(w);\n\t}\n}\n",
        "widget_walk",
    ),
    (
        "iter_no_brace",
        b"static void widget_cpus(void)\n{\n\tint cpu;\n\n\tfor_each_possible_cpu(cpu)\n"
        b"\t\t(void)widget_ping(cpu);\n}\n",
        "widget_cpus",
    ),
    (
        "ifdef_unbalanced",
        b"static int widget_pick(int a, int b)\n{\n#ifdef CONFIG_WIDGET_FAST\n\tif (a > b) {\n#else\n"
        b"\tif (b > a) {\n#endif\n\t\treturn a;\n\t}\n\treturn b;\n}\n",
        "widget_pick",
    ),
    (
        "if0",
        b"static int widget_old(void)\n{\n#if 0\n\tif (legacy) {\n#endif\n\treturn 0;\n}\n",
        "widget_old",
    ),
    (
        "syscall",
        b"SYSCALL_DEFINE3(widget_ctl, unsigned int, fd, char __user *, buf, size_t, count)\n{\n"
        b"\treturn widget_do(fd, buf, count);\n}\n",
        "widget_ctl",
    ),
    (
        "container_of",
        b"static void widget_rcu_free(struct rcu_head *head)\n{\n"
        b"\tstruct widget *w = container_of(head, struct widget, rcu);\n\tkfree(w);\n}\n",
        "widget_rcu_free",
    ),
    (
        "max_t",
        b"static unsigned long widget_span(unsigned long a, unsigned long b)\n{\n"
        b"\treturn max_t(unsigned long, a, b);\n}\n",
        "widget_span",
    ),
    (
        "local_define",
        b"static void widget_warn(void)\n{\n\tstatic DEFINE_RATELIMIT_STATE(rs, HZ, 10);\n"
        b"\tDECLARE_BITMAP(seen, WIDGET_MAX) = { 0 };\n\n\tif (__ratelimit(&rs))\n\t\twidget_report(seen);\n}\n",
        "widget_warn",
    ),
    (
        "case_range",
        b"static int widget_class(int c)\n{\n\tswitch (c) {\n\tcase 1 ... 9:\n\t\treturn 1;\n\t}\n\treturn 0;\n}\n",
        "widget_class",
    ),
    (
        "operator_arg",
        b"static void widget_check(struct widget *w)\n{\n\tWIDGET_ASSERTCMP(w->count, ==, 0);\n}\n",
        "widget_check",
    ),
    (
        "offsetof_index",
        b"static size_t widget_size(int n)\n{\n\treturn offsetof(struct widget_set, items[n]);\n}\n",
        "widget_size",
    ),
    (
        "typeof_expr",
        b"static void widget_copy_flags(struct widget *w)\n{\n\ttypeof(w->flags) f = READ_ONCE(w->flags);\n"
        b"\twidget_use(f);\n}\n",
        "widget_copy_flags",
    ),
    (
        "bare_macro_line",
        b"static int widget_probe(void)\n{\n\treturn 0;\n}\nWIDGET_NOPROBE(widget_probe)\n\n"
        b"static int widget_remove(void)\n{\n\treturn 0;\n}\n",
        "widget_remove",
    ),
    (
        "loop_tail",
        b"static void widget_threads(struct task_struct *p)\n{\n\tstruct task_struct *t = p;\n\n\tdo {\n"
        b"\t\twidget_poke_task(t);\n\t} while_each_thread(p, t);\n}\n",
        "widget_threads",
    ),
    (
        "xfs_static",
        b"STATIC int\nwidget_xfs_helper(\n\tstruct widget\t*w)\n{\n\treturn 0;\n}\n",
        "widget_xfs_helper",
    ),
]


@pytest.mark.parametrize(("src", "name"), [(c[1], c[2]) for c in CONSTRUCTS], ids=[c[0] for c in CONSTRUCTS])
def test_construct_parses_clean_only_after_normalisation(src: bytes, name: str) -> None:
    assert_shape(src)
    assert clean_names(src).get(name) is True
    assert clean_names(src, raw=True).get(name) is not True


def test_iterator_arguments_keep_their_bytes_and_name_is_recoverable() -> None:
    src = b"void f(struct list_head *head)\n{\n\tlist_for_each_entry(pos, head, list) {\n\t\tg(pos);\n\t}\n}\n"
    out = assert_shape(src)
    start = src.index(b"list_for_each_entry")
    args = src.index(b"(pos, head, list)")
    assert out[start : start + 6] == b"while("
    assert out[args : args + len(b"(pos, head, list)")] == b"(pos, head, list)"
    assert macro_name_at(src, start) == "list_for_each_entry"
    fn = parse(src).functions()[0]
    assert fn.clean
    assert next(c.args for c in fn.calls() if c.args[:1] == ("pos",)) == ("pos", "head", "list")
    assert [c.name for c in fn.calls()] == ["list_for_each_entry", "g"]


def test_iterator_without_spare_blank_keeps_arguments() -> None:
    src = b"void f(void)\n{\n\tfor_each_online_node(nid)\n\t\tg(nid);\n}\n"
    out = assert_shape(src)
    assert b"(nid)" in out and out.count(b"nid") == 2
    assert parses_clean(src)


def test_for_each_in_expressions_is_left_alone() -> None:
    src = (
        b"int f(void)\n{\n\tint n = widget_for_each_count(a);\n\n\tif (widget_for_each_ok(n))\n"
        b"\t\treturn n;\n\treturn g(for_each_thing(n));\n}\n"
    )
    assert normalize(src) == src


def test_function_named_like_an_iterator_is_not_rewritten() -> None:
    src = b"static void\nwidget_for_each_slot(struct widget *w, int (*fn)(int))\n{\n\tfn(w->id);\n}\n"
    assert normalize(src) == src
    assert parses_clean(src)


def test_plain_c_is_unchanged() -> None:
    src = (
        b'#include <stdio.h>\n\nstatic const char *names[] = { "a", "b" };\n\n'
        b"int main(int argc, char **argv)\n{\n\tfor (int i = 0; i < argc; i++) {\n"
        b"\t\tif (argv[i][0] == '-')\n\t\t\tcontinue;\n\t\tprintf(\"%s %d\\n\", argv[i], (int)sizeof(struct tm));\n"
        b"\t}\n\treturn names[0][0];\n}\n"
    )
    assert normalize(src) == src


def test_comments_and_strings_are_never_rewritten() -> None:
    src = (
        b"/* static int __init list_for_each_entry(a, b) { */\n"
        b'void f(void)\n{\n\tpr_info("__init for_each_cpu(x) {");\n}\n'
    )
    assert normalize(src) == src


def test_real_types_named_with_underscores_survive() -> None:
    src = b"static u32 widget_sum(const __le32 *p, __u32 __user *q)\n{\n\treturn le32_to_cpu(*p);\n}\n"
    out = assert_shape(src)
    assert b"__le32" in out and b"__u32" in out and b"__user" not in out
    assert parses_clean(src)


def test_self_contained_branches_are_all_kept() -> None:
    src = (
        b"#ifdef CONFIG_WIDGET\nstatic int widget_on(void)\n{\n\treturn 1;\n}\n#else\n"
        b"static int widget_off(void)\n{\n\treturn 0;\n}\n#endif\n"
    )
    assert_shape(src)
    assert clean_names(src) == {"widget_on": True, "widget_off": True}


def test_branch_body_keeps_one_side() -> None:
    src = (
        b"int f(int a)\n{\n\tif (a)\n\t\treturn 1;\n\telse\n#ifdef CONFIG_WIDGET\n\t\treturn 2;\n#else\n"
        b"\t\treturn 3;\n#endif\n\treturn 0;\n}\n"
    )
    out = assert_shape(src)
    assert b"return 2" in out and b"return 3" not in out
    assert parses_clean(src)


def test_configurations_inside_a_function_become_alternatives() -> None:
    src = (
        b"int widget_set(int a)\n{\n\tg(a);\n#ifdef CONFIG_WIDGET\n\tone(a);\n\tdone(a);\n#else\n"
        b"\ttwo(a);\n\tdone(a);\n#endif\n\treturn 0;\n}\n"
    )
    out = assert_shape(src)
    assert parses_clean(src)
    [fn] = parse(src).functions()
    [branch] = [n for n in _walk(fn.body) if n.type == "if_statement"]
    alternative = branch.child_by_field_name("alternative")
    assert alternative is not None and b"two(a)" in out[alternative.start_byte : alternative.end_byte]
    assert b"one(a)" in out[branch.start_byte : alternative.start_byte]
    assert directive_condition("#ifndef CONFIG_SMP") == "!CONFIG_SMP"
    assert directive_condition("\tret = 0;") is None


def test_configurations_without_room_or_outside_functions_stay_in_sequence() -> None:
    # no indentation byte before the else branch's code: both branches kept one after the other
    src = b"int f(int a)\n{\n#ifdef CONFIG_WIDGET\n\tone(a);\n#else\ntwo(a);\n#endif\n\treturn 0;\n}\n"
    out = assert_shape(src)
    assert b"if(_)" not in out and b"one(a)" in out and b"two(a)" in out


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.children:
        yield from _walk(child)


def test_multiline_define_is_blanked_and_single_line_kept() -> None:
    src = b"#define WIDGET_ONE 1\n#define WIDGET_DO(x) \\\n\tdo { \\\n\t\tg(x); \\\n\t} while (0\n\nint a;\n"
    out = assert_shape(src)
    assert out.startswith(b"#define WIDGET_ONE 1\n")
    assert b"WIDGET_DO" not in out and out.endswith(b"int a;\n")


def test_per_cpu_and_file_scope_defines_become_declarations() -> None:
    src = (
        b"static DEFINE_PER_CPU(struct widget_stats, widget_stats);\nstatic DEFINE_MUTEX(widget_lock);\n"
        b"static LIST_HEAD(widget_list);\n\nvoid f(void)\n{\n\tmutex_lock(&widget_lock);\n}\n"
    )
    out = assert_shape(src)
    assert b"widget_stats, widget_stats" not in out
    tree = parse(src)
    assert not tree.root.has_error
    assert clean_names(src) == {"f": True}


def test_syscall_define0_keeps_name() -> None:
    src = b"SYSCALL_DEFINE0(widget_ping)\n{\n\treturn 0;\n}\n"
    assert_shape(src)
    assert clean_names(src) == {"widget_ping": True}


def test_empty_input() -> None:
    assert normalize(b"") == b""


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_shape_invariant_on_random_bytes(data: bytes) -> None:
    assert_shape(data)


KERNEL_TOKENS = [
    "static",
    "int",
    "void",
    "__init",
    "__user",
    "__rcu",
    "__acquires(x)",
    "__printf(1, 2)",
    "__attribute__((a))",
    "__widget_attr",
    "STATIC",
    "list_for_each_entry(a, b, c)",
    "for_each_cpu(cpu)",
    "while_each_thread(p, t)",
    "SYSCALL_DEFINE2(x, int, a, long, b)",
    "SYSCALL_DEFINE0(y)",
    "DEFINE_MUTEX(m)",
    "DECLARE_BITMAP(b, 8)",
    "DEFINE_PER_CPU(struct s, v)",
    "container_of(p, struct s, m)",
    "max_t(unsigned long, a, b)",
    "offsetof(s, a[i])",
    "typeof(p->x)",
    "case 1 ... 2:",
    "ASSERTCMP(a, ==, b)",
    "f(x););",
    "#if 0",
    "#ifdef X",
    "#else",
    "#elif Y",
    "#endif",
    "#define M(x) \\",
    "(",
    ")",
    "{",
    "}",
    ";",
    ",",
    "*",
    "=",
    "\n",
    "\t",
    " ",
    "/*",
    "*/",
    "//",
    '"',
    "'",
    "\\",
    "a",
    "b",
    "struct s",
    "...",
    "do",
    "else",
    "if (x)",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(KERNEL_TOKENS), max_size=60))
def test_shape_invariant_on_kernel_token_soup(tokens: list[str]) -> None:
    src = " ".join(tokens).encode()
    out = assert_shape(src)
    assert normalize(out) is not None  # normalising twice must not crash either
