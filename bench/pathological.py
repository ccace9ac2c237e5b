"""Full-size pathological (valid) C for the robustness budget: ``run_bench.py --pathological``.

tests/test_fuzz.py runs smaller versions of the same shapes in CI.
"""

from __future__ import annotations


def inputs(depth: int = 10_000, lines: int = 50_000, cases: int = 5_000) -> dict[str, str]:
    """10,000 nested ifs, a 50,000-line function, a switch with 5,000 cases (all taking locks)."""
    nested = (
        "int deep(int x)\n{\n"
        + "".join("\t" * min(i + 1, 40) + f"if (x > {i}) {{\n" for i in range(depth))
        + "\tspin_lock(&l);\n"
        + "}\n" * depth
        + "\treturn 0;\n}\n"
    )
    body = "".join("\tspin_lock(&l);\n\tspin_unlock(&l);\n" if i % 100 == 0 else f"\tx += {i};\n" for i in range(lines))
    long_fn = "int longfn(int x)\n{\n\tspin_lock(&l);\n" + body + "\tspin_unlock(&l);\n\treturn x;\n}\n"
    arms = "".join(
        f"\tcase {i}:\n\t\tspin_lock(&l{i % 7});\n\t\tx = {i};\n\t\tspin_unlock(&l{i % 7});\n\t\tbreak;\n"
        for i in range(cases)
    )
    switch = "int sw(int x)\n{\n\tswitch (x) {\n" + arms + "\tdefault:\n\t\tbreak;\n\t}\n\treturn x;\n}\n"
    big = "".join(f"static int f{i}(int x)\n{{\n\treturn x + {i};\n}}\n\n" for i in range(200_000))
    return {"nested.c": nested, "long.c": long_fn, "switch.c": switch, "ten-mb.c": big[: 10 * 1024 * 1024]}
