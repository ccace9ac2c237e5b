"""lock-balance on the real seed patch and on single-line mutations of it.

The seed must stay quiet (its correlated ``if (dequeue_deferred)`` lock and
unlock are balanced); deleting any one release line must be reported in the
function it belongs to, naming the lock and where the path leaves with it.
The mutations are generated here from the real mbox, hunk headers fixed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

RULE = "lock-balance"
FILE = "mm/huge_memory.c"
SEED_FUNCTIONS = {
    "__folio_freeze_and_split_unmapped",
    "__folio_unqueue_deferred_split",
    "deferred_split_folio",
    "deferred_split_scan",
}
# post-image release lines of mm/huge_memory.c -> (function, the acquire as the finding quotes it: as written)
MUTATIONS = {
    3788: ("__folio_freeze_and_split_unmapped", "`l = list_lru_lock(&deferred_split_lru, "),
    3789: ("__folio_freeze_and_split_unmapped", "`rcu_read_lock()`"),
    3893: ("__folio_freeze_and_split_unmapped", "`l = list_lru_lock(&deferred_split_lru, "),
    3894: ("__folio_freeze_and_split_unmapped", "`rcu_read_lock()`"),
    4289: ("__folio_unqueue_deferred_split", "`l = list_lru_lock_irqsave(&deferred_split_lru, "),
    4290: ("__folio_unqueue_deferred_split", "`rcu_read_lock()`"),
    4341: ("deferred_split_folio", "`l = list_lru_lock_irqsave(&deferred_split_lru, "),
    4342: ("deferred_split_folio", "`rcu_read_lock()`"),
    4456: ("deferred_split_scan", "`l = list_lru_lock_irqsave(&deferred_split_lru, "),
    4457: ("deferred_split_scan", "`rcu_read_lock()`"),
}
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


def delete_post_line(text: str, path: str, target: int) -> str:
    """The patch with the added/context line at post-image ``target`` of ``path`` removed, headers fixed."""
    lines = text.split("\n")
    out: list[str] = []
    current = None
    header_at = -1
    new_no = 0
    old_len = new_len = 0
    deleted = False
    for line in lines:
        if line.startswith("+++ "):
            current = line[4:].split("\t")[0].removeprefix("b/")
        m = _HUNK.match(line)
        if m:
            header_at = len(out)
            new_start = int(m.group(3))
            old_len = int(m.group(2) or 1)
            new_len = int(m.group(4) or 1)
            new_no = new_start
            out.append(line)
            continue
        if current == path and header_at >= 0 and line[:1] in ("+", " ") and not line.startswith("+++"):
            if new_no == target and not deleted:
                deleted = True
                new_len -= 1
                if line[0] == " ":
                    old_len -= 1  # a context line vanishes from both sides
                    raise AssertionError("only added release lines are mutated")
                m = _HUNK.match(out[header_at])
                assert m is not None
                out[header_at] = f"@@ -{m.group(1)},{old_len} +{m.group(3)},{new_len} @@{m.group(5)}"
                new_no += 1
                continue
            new_no += 1
        out.append(line)
    assert deleted, f"post-image line {target} of {path} not found"
    return "\n".join(out)


def _findings(path: Path) -> list:
    return [f for f in review(load(str(path))).findings if f.rule == RULE]


def test_seed_has_no_lock_balance_finding(seed_mbox: Path) -> None:
    result = review(load(str(seed_mbox)))
    assert not [f for f in result.findings if f.rule == RULE]
    # and the functions the issue names were really analysed, with their locks seen
    assert {fv.name for fv in result.context.functions("post")} >= SEED_FUNCTIONS


@pytest.mark.parametrize("line", sorted(MUTATIONS))
def test_deleting_a_release_is_reported(seed_mbox: Path, tmp_path: Path, line: int) -> None:
    text = seed_mbox.read_text("utf-8")
    release = _post_line_text(text, line)
    assert "unlock" in release, f"{line} is not a release: {release!r}"
    mutated = tmp_path / f"seed-minus-{line}.mbox"
    mutated.write_text(delete_post_line(text, FILE, line), "utf-8")
    function, lock = MUTATIONS[line]
    found = [f for f in _findings(mutated) if f.function == function]
    assert found, f"deleting {release.strip()!r} at {line} was not reported in {function}"
    assert any(lock in f.message for f in found), [f.message for f in found]
    assert all(f.path and f.path[0].note for f in found)


def _post_line_text(text: str, target: int) -> str:
    current = None
    new_no = 0
    for line in text.split("\n"):
        if line.startswith("+++ "):
            current = line[4:].split("\t")[0].removeprefix("b/")
        m = _HUNK.match(line)
        if m:
            new_no = int(m.group(3))
            continue
        if current == FILE and line[:1] in ("+", " ") and new_no:
            if new_no == target:
                return line[1:]
            new_no += 1
    raise AssertionError(f"line {target} not in {FILE}")


def test_summaries_come_from_the_functions_own_exits() -> None:
    """Lock-on-success and release-on-failure helpers are recognised from their exits, not their names."""
    from reviewkit.engine.scan import file_view
    from reviewkit.kernel import load_model
    from reviewkit.locks.analysis import LockModel
    from reviewkit.locks.summary import summarise

    code = (
        "static struct obj *obj_get_busy(struct tbl *tbl, int id)\n{\n\tstruct obj *o;\n\n"
        "\to = obj_lookup(tbl, id);\n\tif (!o)\n\t\treturn NULL;\n\tspin_lock(&o->lock);\n"
        "\tif (o->dead) {\n\t\tspin_unlock(&o->lock);\n\t\treturn NULL;\n\t}\n\treturn o;\n}\n\n"
        "static int obj_grow(struct obj *o, int size)\n\t__must_hold(&o->lock)\n{\n\tvoid *buf;\n\n"
        "\tspin_unlock(&o->lock);\n\tbuf = kmalloc(size, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n"
        "\tspin_lock(&o->lock);\n\to->buf = buf;\n\treturn 0;\n}\n\n"
        "static int obj_use(struct tbl *tbl)\n{\n\tstruct obj *o = obj_get_busy(tbl, 1);\n\n"
        "\tif (!o)\n\t\treturn -ENOENT;\n\tif (obj_grow(o, 8))\n\t\treturn -ENOMEM;\n"
        "\tspin_unlock(&o->lock);\n\treturn 0;\n}\n"
    )
    kernel = load_model()
    views = file_view(Path("x.c"), code, "x.c").functions("post")
    sums = summarise(views, kernel, LockModel.from_kernel(kernel))
    got = sums["obj_get_busy"]
    assert (got.kind, got.key, got.ret_var, got.try_) == ("acquire", "o->lock", "o", "nonnull")
    grow = sums["obj_grow"]
    assert (grow.kind, grow.key, grow.try_) == ("release", "o->lock", "nonzero")


DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "series.mbox"


def test_message_quotes_the_acquire_as_written_and_only_deciding_conditions() -> None:
    """``spin_lock(&frob_cache.lock)`` as in the source; the loop header is a step, not a condition."""
    found = _findings(DEMO)
    assert len(found) == 1
    f = found[0]
    assert "`spin_lock(&frob_cache.lock)` at " in f.message, f.message
    assert "list_for_each" not in f.message and "frob->key != key" not in f.message, f.message
    assert "`folio_test_locked(frob->folio)`)" in f.message and " is true" not in f.message, f.message  # as C
    notes = [step.note for step in f.path]
    assert any("loop body runs" in n and "list_for_each_entry_safe" in n for n in notes), notes
    assert not any(n.startswith("`list_for_each") for n in notes), notes
