"""Never-returning functions declared in the headers a file includes (reviewkit.views.includes)."""

from __future__ import annotations

from pathlib import Path

from reviewkit.views.includes import header_noreturn


def _tree(root: Path) -> Path:
    (root / "include" / "linux").mkdir(parents=True)
    (root / "include" / "asm-generic").mkdir()
    (root / "arch" / "oar" / "include" / "asm").mkdir(parents=True)
    (root / "arch" / "oar" / "mm").mkdir(parents=True)
    (root / "include" / "linux" / "halt.h").write_text("void __noreturn halt_now(int code);\nvoid halt_soon(int);\n")
    (root / "arch" / "oar" / "include" / "asm" / "traps.h").write_text(
        "void oar_terminate(char *msg, struct pt_regs *regs,\n\t\tint code) __noreturn __cold;\n"
    )
    (root / "include" / "asm-generic" / "traps.h").write_text("void generic_terminate(void) __noreturn;\n")
    (root / "arch" / "oar" / "mm" / "local.h").write_text(
        "void __oar_panic(const char *fn, const char *fmt, ...)\n\t__attribute__ ((noreturn));\n"
        "#define oar_panic(fmt, args...) \\\n\t__oar_panic(__func__, fmt, ##args)\n"
        "#define oar_note(fmt, args...) oar_printk(fmt, ##args)\n"
    )
    return root / "arch" / "oar" / "mm" / "fault.c"


def test_local_system_and_arch_headers(tmp_path: Path) -> None:
    source = _tree(tmp_path)
    text = '#include <linux/halt.h>\n#include <asm/traps.h>\n#include "local.h"\n'
    names = header_noreturn(source, text)
    assert names == {"halt_now", "oar_terminate", "__oar_panic", "oar_panic"}


def test_asm_outside_arch_is_generic_and_nothing_without_includes(tmp_path: Path) -> None:
    _tree(tmp_path)
    other = tmp_path / "fs" / "x.c"
    other.parent.mkdir()
    assert header_noreturn(other, "#include <asm/traps.h>\n") == {"generic_terminate"}
    assert header_noreturn(other, "static int x;\n") == frozenset()


def test_no_tree_reads_only_local_headers(tmp_path: Path) -> None:
    (tmp_path / "own.h").write_text("void own_die(void) __noreturn;\n")
    source = tmp_path / "a.c"
    assert header_noreturn(source, '#include "own.h"\n#include <linux/halt.h>\n') == {"own_die"}


def test_local_include_outside_the_tree_is_not_read(tmp_path: Path) -> None:
    source = _tree(tmp_path / "tree")
    (tmp_path / "outside.h").write_text("void outside_die(void) __noreturn;\n")
    up = "../" * len(source.parent.relative_to(tmp_path).parts)
    assert header_noreturn(source, f'#include "{up}outside.h"\n#include "local.h"\n') == {"__oar_panic", "oar_panic"}


def test_lookups_are_remembered_only_for_headers_found(tmp_path: Path) -> None:
    """A process that lives on (the review session) sees a header created after its first look."""
    source = tmp_path / "a.c"
    text = '#include "late.h"\n'
    assert header_noreturn(source, text) == frozenset()
    (tmp_path / "late.h").write_text("void late_die(void) __noreturn;\n")
    assert header_noreturn(source, text) == {"late_die"}
    (tmp_path / "late.h").unlink()
    assert header_noreturn(source, text) == frozenset()  # a header gone since reads as empty


def test_a_linked_file_gets_the_arch_of_its_target(tmp_path: Path) -> None:
    """The architecture is the resolved file's, not that of the directory the link sits in."""
    fault = _tree(tmp_path)
    fault.write_text("")
    (tmp_path / "drivers").mkdir()
    plain, linked = tmp_path / "drivers" / "plain.c", tmp_path / "drivers" / "linked.c"
    plain.write_text("")
    linked.symlink_to(fault)
    text = "#include <asm/traps.h>\n"
    assert header_noreturn(plain, text) == {"generic_terminate"}
    assert header_noreturn(linked, text) == {"oar_terminate"}
    assert header_noreturn(plain, text) == {"generic_terminate"}
