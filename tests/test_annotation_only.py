"""Annotation-only changes never produce a lock finding; the function is judged as before the patch.

The gadget helpers below drop, take or need their caller's lock.  A patch
that only documents that with ``__releases()``/``__acquires()``/
``__must_hold()`` (on their own line, on the signature line, or removed)
changes no path, so it must be quiet in fragment mode and with the repo's
blobs.  A function that also changes code is still reviewed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git

from reviewkit.load.series import load
from reviewkit.review.pipeline import review
from reviewkit.views.source import file_views

PATH = "drivers/misc/gadget.c"
GADGET = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spinlock.h>

struct gadget {
\tspinlock_t lock;
\tint busy;
\tint count;
};

static void gadget_wait_idle(struct gadget *g)
{
\twhile (g->busy) {
\t\tspin_unlock(&g->lock);
\t\tcpu_relax();
\t\tspin_lock(&g->lock);
\t}
}

static void gadget_finish(struct gadget *g)
{
\tg->busy = 0;
\tspin_unlock(&g->lock);
}

static void gadget_start(struct gadget *g)
{
\tspin_lock(&g->lock);
\tg->busy = 1;
}

static int gadget_count(struct gadget *g)
{
\tint n;

\tspin_lock(&g->lock);
\tn = g->count;
\tspin_unlock(&g->lock);
\treturn n;
}
"""

OWN_LINE = [
    ("static void gadget_wait_idle(struct gadget *g)\n", "\t__must_hold(&g->lock)\n"),
    ("static void gadget_finish(struct gadget *g)\n", "\t__releases(&g->lock)\n"),
    ("static void gadget_start(struct gadget *g)\n", "\t__acquires(&g->lock)\n"),
]


def _annotated(text: str) -> str:
    for sig, ann in OWN_LINE:
        text = text.replace(sig, sig + ann)
    return text


def _on_signature(text: str) -> str:
    for sig, ann in OWN_LINE:
        text = text.replace(sig, sig.rstrip("\n") + " " + ann.strip() + "\n")
    return text


def _series_between(tmp_path: Path, before: str, after: str):  # type: ignore[no-untyped-def]
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Ann")
    git(repo, "config", "user.email", "ann@example.org")
    (repo / PATH).parent.mkdir(parents=True)
    (repo / PATH).write_text(before)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    (repo / PATH).write_text(after)
    git(repo, "commit", "-q", "-a", "-m", "gadget: change")
    patch = tmp_path / "change.patch"
    patch.write_text(git(repo, "format-patch", "--stdout", "HEAD~1..HEAD"))
    git(repo, "checkout", "-q", "HEAD~1")
    return repo, load(str(patch))


def _lock_findings(series, repo: Path | None) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    rv = review(series, repo=str(repo) if repo else None)
    return [(f.line, f.message) for f in rv.findings if f.rule == "lock-balance"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (GADGET, _annotated(GADGET)),
        (GADGET, _on_signature(GADGET)),
        (_annotated(GADGET), GADGET),
        (_annotated(GADGET), _on_signature(GADGET)),
    ],
    ids=["added-own-line", "added-on-signature", "removed", "moved-to-signature"],
)
@pytest.mark.parametrize("with_repo", [False, True], ids=["fragment", "repo"])
def test_annotation_only_change_is_quiet(tmp_path: Path, before: str, after: str, with_repo: bool) -> None:
    repo, series = _series_between(tmp_path, before, after)
    assert _lock_findings(series, repo if with_repo else None) == []
    views = file_views(series.patches[0])
    assert [fn.name for fn in views[0].changed_functions()] == []


def test_annotation_next_to_a_real_change_is_still_reviewed(tmp_path: Path) -> None:
    after = _annotated(GADGET).replace("\tn = g->count;\n", "\tn = g->count;\n\tif (n < 0)\n\t\treturn n;\n")
    repo, series = _series_between(tmp_path, GADGET, after)
    changed = [fn.name for fn in file_views(series.patches[0])[0].changed_functions()]
    assert changed == ["gadget_count"]
    returning = after.split("\n").index("\t\treturn n;") + 1
    for where in (None, repo):
        assert [line for line, _msg in _lock_findings(series, where)] == [returning]
