"""Bad input never breaks reviewkit: mutated mboxes and C files through the real CLI.

Every run of ``check`` and ``scan`` on a mutated input must end with exit
status 0, 1 or 2, print no traceback and no "internal error", and a status
2 must come with exactly one ``reviewkit: error:`` line.  Pathological but
valid C (deep nesting, huge functions, huge switches) must finish, with any
analysis that overruns its budget reported as skipped.

Example counts are sized for CI on two cores; ``REVIEWKIT_FUZZ_EXAMPLES=N``
runs N examples per test for a longer session (``bench/`` has the big inputs).
"""

from __future__ import annotations

import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reviewkit.cli import main

EXAMPLES = int(os.environ.get("REVIEWKIT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 25,
    deadline=None,
    derandomize=not EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

BASE_MBOX = b"""From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: Dev Eloper <dev@example.org>
Date: Mon, 2 Mar 2026 10:00:00 +0000
Subject: [PATCH v2 1/2] mm/toy: take the pool lock around the walk

The walk raced with pool teardown; hold the lock.

Signed-off-by: Dev Eloper <dev@example.org>
---
 mm/toy.c | 9 +++++++--
 1 file changed, 7 insertions(+), 2 deletions(-)

diff --git a/mm/toy.c b/mm/toy.c
index 1111111..2222222 100644
--- a/mm/toy.c
+++ b/mm/toy.c
@@ -20,10 +20,15 @@ static int toy_walk(struct toy_pool *pool)
 {
 \tstruct toy_item *item;
 \tint n = 0;
\x20
-\tlist_for_each_entry(item, &pool->items, list)
+\tspin_lock(&pool->lock);
+\tlist_for_each_entry(item, &pool->items, list) {
+\t\tif (item->dead)
+\t\t\treturn -EINVAL;
 \t\tn++;
+\t}
+\tspin_unlock(&pool->lock);
\x20
 \treturn n;
 }
\x20
--
2.43.0

From 1123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: Dev Eloper <dev@example.org>
Date: Mon, 2 Mar 2026 10:00:01 +0000
Subject: [PATCH v2 2/2] mm/toy: free the shrinker first

Signed-off-by: Dev Eloper <dev@example.org>
---
 mm/toy.c | 4 ++--
 1 file changed, 2 insertions(+), 2 deletions(-)

diff --git a/mm/toy.c b/mm/toy.c
index 2222222..3333333 100644
--- a/mm/toy.c
+++ b/mm/toy.c
@@ -60,7 +60,7 @@ static void __exit toy_exit(void)
 {
 \trcu_read_lock();
 \ttoy_flush(&toy_lru);
 \trcu_read_unlock();
-\tshrinker_free(toy_shrinker);
 \tlist_lru_destroy(&toy_lru);
+\tshrinker_free(toy_shrinker);
 }
--
2.43.0
"""

BASE_C = b"""// SPDX-License-Identifier: GPL-2.0
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(toy_lock);

static int __init toy_init(void)
{
\tint err;

\tspin_lock(&toy_lock);
\terr = toy_register();
\tif (err)
\t\tgoto out;
\tswitch (err) {
\tcase 1:
\t\tbreak;
\tdefault:
\t\terr = -EINVAL;
\t}
out:
\tspin_unlock(&toy_lock);
\treturn err;
}

static void toy_walk(struct list_head *head)
{
\tstruct toy_item *it, *tmp;

\trcu_read_lock();
\tlist_for_each_entry_safe(it, tmp, head, list) {
\t\tif (it->dead)
\t\t\tcontinue;
\t\tfolio_put(it->folio);
\t}
\trcu_read_unlock();
}
"""

HUNK_RE = re.compile(rb"^@@ [^\n]*@@[^\n]*$", re.M)
NEST_PATCH_LINES = 400


def _cut(data: bytes, at: int) -> bytes:
    return data[: at % (len(data) + 1)]


def _insert(data: bytes, at: int, blob: bytes) -> bytes:
    at %= len(data) + 1
    return data[:at] + blob + data[at:]


def _swap_hunk_headers(data: bytes, i: int, j: int) -> bytes:
    headers = list(HUNK_RE.finditer(data))
    if len(headers) < 2:
        return data
    a, b = sorted((headers[i % len(headers)], headers[j % len(headers)]), key=lambda m: m.start())
    if a.start() == b.start():
        return data
    return data[: a.start()] + b.group() + data[a.end() : b.start()] + a.group() + data[b.end() :]


def _recode(data: bytes, at: int, span: int, codec: str) -> bytes:
    at %= len(data) + 1
    chunk = data[at : at + span].decode("utf-8", "replace")
    return data[:at] + chunk.encode(codec, "replace") + data[at + span :]


def _deep_nesting(depth: int) -> bytes:
    opens = b"".join(b"+" + b"\t" * min(d, 20) + b"if (x) {\n" for d in range(1, depth + 1))
    closes = b"".join(b"+" + b"\t" * min(d, 20) + b"}\n" for d in range(depth, 0, -1))
    return opens + closes


def mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """One or more of: truncation, random bytes, swapped hunk headers, huge lines, NULs,
    other encodings, deep nesting, duplicated or dropped lines."""
    pos = st.integers(min_value=0, max_value=10**9)
    one = st.one_of(
        st.builds(lambda d, at: _cut(d, at), st.just(base), pos),
        st.builds(lambda d, at, blob: _insert(d, at, blob), st.just(base), pos, st.binary(min_size=1, max_size=64)),
        st.builds(lambda d, i, j: _swap_hunk_headers(d, i, j), st.just(base), pos, pos),
        st.builds(
            lambda d, at, n, ch: _insert(d, at, b"\n+" + ch * n + b"\n"),
            st.just(base),
            pos,
            st.integers(10_000, 300_000),
            st.sampled_from([b"x", b"(", b"{", b"\t", b"\xff", b"/*"]),
        ),
        st.builds(lambda d, at, n: _insert(d, at, b"\x00" * n), st.just(base), pos, st.integers(1, 16)),
        st.builds(
            lambda d, at, span, codec: _recode(d, at, span, codec),
            st.just(base),
            pos,
            st.integers(1, 400),
            st.sampled_from(["latin-1", "utf-16", "utf-16-le", "cp1252", "shift_jis", "ascii"]),
        ),
        st.builds(lambda d, at, depth: _insert(d, at, _deep_nesting(depth)), st.just(base), pos, st.integers(1, 60)),
        st.builds(lambda d, at: _insert(d, at, _deep_nesting(NEST_PATCH_LINES)), st.just(base), pos),
    )
    return st.lists(one, min_size=1, max_size=2).map(lambda variants: _combine(base, variants))


def _combine(base: bytes, variants: list[bytes]) -> bytes:
    """Two mutations of one base merged: the first's head, the second's tail."""
    if len(variants) == 1:
        return variants[0]
    first, second = variants
    return first[: len(first) // 2] + second[len(second) // 2 :]


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(argv))
    return rc, err.getvalue()


def assert_clean_exit(rc: int, err: str) -> None:
    assert rc in (0, 1, 2), rc
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    if rc == 2:
        errors = [line for line in err.splitlines() if line.startswith("reviewkit: error: ")]
        assert len(errors) == 1, err


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWKIT_NO_CACHE", "1")
    monkeypatch.delenv("REVIEWKIT_DEBUG", raising=False)


@FUZZ
@given(data=mutations(BASE_MBOX))
def test_check_survives_mutated_mbox(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "series.mbox"
    path.write_bytes(data)
    assert_clean_exit(*run("check", str(path), "--format", "json"))


@FUZZ
@given(data=mutations(BASE_C))
def test_scan_survives_mutated_c(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mutant.c"
    path.write_bytes(data)
    rc, err = run("scan", str(path), "-j", "1")
    assert_clean_exit(rc, err)
    assert rc != 2 or "error" in err


@FUZZ
@given(data=st.binary(max_size=4096))
@example(data=b" \x80")  # found by this test: a header-less body that is not UTF-8
def test_check_survives_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "noise.mbox"
    path.write_bytes(data)
    assert_clean_exit(*run("check", str(path)))


def test_check_on_stdin_like_inputs(tmp_path: Path) -> None:
    for name, data in {"empty": b"", "nul": b"\x00" * 1000, "half": BASE_MBOX[: len(BASE_MBOX) // 2]}.items():
        path = tmp_path / f"{name}.mbox"
        path.write_bytes(data)
        assert_clean_exit(*run("check", str(path)))


def pathological() -> dict[str, str]:
    """Valid C that is hard to analyse (sizes for CI; bench/pathological.py runs the full ones)."""
    depth = 10_000
    nested = (
        "int deep(int x)\n{\n"
        + "".join(f"if (x > {i}) {{\n" for i in range(depth))
        + "spin_lock(&l);\n"
        + "}\n" * depth
        + "return 0;\n}\n"
    )
    body = "".join(
        "\tspin_lock(&l);\n\tx++;\n\tspin_unlock(&l);\n" if i % 50 == 0 else f"\tx += {i};\n" for i in range(10_000)
    )
    long_fn = "int longfn(int x)\n{\n" + body + "\treturn x;\n}\n"
    cases = "".join(
        f"\tcase {i}:\n\t\tspin_lock(&l);\n\t\tx = {i};\n\t\tspin_unlock(&l);\n\t\tbreak;\n" for i in range(1_000)
    )
    switch = "int sw(int x)\n{\n\tswitch (x) {\n" + cases + "\tdefault:\n\t\tbreak;\n\t}\n\treturn x;\n}\n"
    return {"nested.c": nested, "long.c": long_fn, "switch.c": switch}


@pytest.mark.parametrize("name", sorted(pathological()))
def test_pathological_c_finishes(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(pathological()[name])
    rc, err = run("scan", str(path), "-j", "1", "--timeout", "20")
    assert_clean_exit(rc, err)
    for line in err.splitlines():
        assert line.startswith("reviewkit: note: ") and "skipped" in line, line


# --------------------------------------------------------------------------
# Structure-aware inputs, each run in a child process under a fixed budget
# (500 MB address space, 10 s; tests/limits.py): an input that allocates per
# claimed line, per claimed patch or reads a device forever fails here as a
# MemoryError, an internal error or a timeout.

import tempfile  # noqa: E402

from limits import run_cli  # noqa: E402

CHILD = settings(FUZZ, max_examples=EXAMPLES or 8)

_CTRL = st.sampled_from(["\x1b[8m", "\x1b]52;c;ZXZpbA==\x07", "\x1b[2K\r", "\u202e", "\x00", "\x7f", "\x9b", "\t", "é"])
_NAME_PART = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="/"), min_size=1, max_size=12
)
PATH_FORMS = st.one_of(
    st.builds(lambda a, b: f"{a}/{b}.c", _NAME_PART, _NAME_PART),
    st.sampled_from(
        [
            "../outside/secret.c",
            "a/../../x.c",
            "/etc/passwd",
            "./mm/x.c",
            "mm//x.c",
            "mm/x.c ",
            "mm/..",
            "",
            " ",
            "mm/\x1b[8mx.c",
            "mm/\u202ex.c",
            "d" * 300 + "/x.c",
            "mm/x.c\tREADME",
        ]
    ),
    st.builds(lambda c, n: f"mm/{c}{n}.c", _CTRL, _NAME_PART),
)
COUNTERS = st.one_of(
    st.builds(lambda i, t: f"{i}/{t}", st.integers(0, 12), st.integers(0, 12)),
    st.builds(lambda i, t: f"{i}/{t}", st.integers(0, 3), st.sampled_from([10**8, 10**9, 10**18, 10**40])),
    st.sampled_from(["1/", "/1", "01/02", "1/1/1", "-1/2", "1/0", "999999999999999999999/1", "1 /2", "１/２"]),
)
NUMBERS = st.one_of(st.integers(0, 40), st.sampled_from([50_000_000, 2**31 - 1, 2**31, 2**63, 10**30]))


def _hunk(old: int, new: int, length: int, body: list[str]) -> str:
    return f"@@ -{old},{length} +{new},{length} @@ static int f(void)\n" + "".join(body)


@st.composite
def patch_messages(draw: st.DrawFn) -> bytes:
    """An mbox of 1-4 messages: separators, counters, headers, MIME, hunks, paths and control characters."""
    count = draw(st.integers(1, 4))
    out: list[str] = []
    for n in range(count):
        path = draw(PATH_FORMS)
        ctrl = draw(_CTRL)
        old, new = draw(NUMBERS), draw(NUMBERS)
        body_lines = [
            " static int f(void)\n",
            " {\n",
            f"-\treturn 0; /* {ctrl} */\n",
            f"+\treturn 1; /* {ctrl} */\n",
            " }\n",
        ]
        length = draw(st.sampled_from([4, 3, 5, 0, 10**9]))
        diff = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + _hunk(old, new, length, body_lines)
        subject = f"[PATCH {draw(COUNTERS)}] x{ctrl}: change {n}"
        sep = draw(
            st.sampled_from(
                [
                    "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n",
                    "From git@z Thu Jan  1 00:00:00 1970\n",
                    "From mboxrd@z Thu Jan  1 00:00:00 1970\n",
                    "",
                    ">From x\n",
                ]
            )
        )
        kind = draw(st.sampled_from(["plain", "base64", "qp", "multipart", "bad-charset", "nested"]))
        head = f"{sep}From: Dev <dev@example.org>\nSubject: {subject}\nMessage-Id: <{n}@x>\n"
        text = f"why{ctrl}\n\nSigned-off-by: Dev <dev@example.org>\n---\n{diff}-- \n2.43.0\n"
        if kind == "plain":
            out.append(head + "\n" + text)
        elif kind == "base64":
            import base64

            enc = base64.encodebytes(text.encode("utf-8", "surrogatepass")).decode()
            out.append(head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + enc)
        elif kind == "qp":
            import quopri

            enc = quopri.encodestring(text.encode("utf-8", "surrogatepass")).decode()
            out.append(head + "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n" + enc)
        elif kind == "bad-charset":
            out.append(
                head
                + f"Content-Type: text/plain; charset={draw(st.sampled_from(['x-nope', 'utf-7', 'latin1']))}\n\n"
                + text
            )
        else:
            inner = (
                f"--b\nContent-Type: text/x-patch\n\n{text}\n--b--\n"
                if kind == "multipart"
                else "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: text/plain\n\n"
                f"{text}\n--c\n--b--\n"
            )
            out.append(head + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n' + inner)
    data = "".join(out).encode("utf-8", "surrogatepass")
    cut = draw(st.sampled_from([None, None, None, len(data) // 2, len(data) - 3]))
    return data if cut is None else data[:cut]


def _child_clean(out) -> None:  # type: ignore[no-untyped-def]
    assert not out.hung, "over the 10 s budget"
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr[-2000:]
    assert out.returncode in (0, 1, 2), out.stderr[-2000:]
    if out.returncode == 2:
        assert out.stderr.count("reviewkit: error:") == 1, out.stderr


@CHILD
@given(data=patch_messages())
@example(data=b"From: a <a@b.c>\nSubject: [PATCH 1/1000000000] x\n\n---\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n")
def test_structured_mbox_in_a_budget(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "in.mbox").write_bytes(data)
    out = run_cli(["check", "in.mbox"], tmp_path)
    _child_clean(out)
    assert "\x1b" not in out.stdout and "\x1b" not in out.stderr


@CHILD
@given(data=patch_messages(), fmt=st.sampled_from(["checkpatch", "github", "json"]))
def test_structured_mbox_in_tree_mode(data: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _tree_mode(Path(tmp), data, fmt)


def _tree_mode(tmp_path: Path, data: bytes, fmt: str) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "x.c").write_text("static int f(void)\n{\n\treturn 0;\n}\n")
    (tree / "mm" / "zero.c").symlink_to("/dev/zero")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.c").write_text("static int f(void)\n{\n\treturn 0;\n}\n")
    (tmp_path / "in.mbox").write_bytes(data)
    out = run_cli(["check", "in.mbox", "--tree", "tree", "-f", fmt], tmp_path)
    _child_clean(out)
    if fmt != "json":
        assert "\x1b" not in out.stdout
