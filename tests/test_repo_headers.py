"""Repo mode reads the lock wrappers of the headers a file includes, at the revision its context came from.

A driver that locks through its own header (``gadget_lock_nointr()`` a
static inline in ``gadget.h`` around ``mutex_lock()``) is a lock to
``--tree .``; ``reviewkit check bug.patch`` in the same checkout must see it
too, from git, without a work tree read.  The files are written for this
test.
"""

from __future__ import annotations

from pathlib import Path

from gitrepo import git

from reviewkit.config import Config
from reviewkit.load.series import load
from reviewkit.review.pipeline import review

HEADER = """\
/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GADGET_H
#define _GADGET_H
#include <linux/mutex.h>

struct gadget {
\tstruct mutex cfg_mutex;
\tint state;
};

static inline void gadget_lock_nointr(struct gadget *g)
{
\tmutex_lock(&g->cfg_mutex);
}

static inline void gadget_release(struct gadget *g)
{
\tmutex_unlock(&g->cfg_mutex);
}
#endif
"""

SOURCE = """\
// SPDX-License-Identifier: GPL-2.0
#include "gadget.h"

int gadget_start(struct gadget *g);

static int gadget_resume(struct gadget *g)
{
\tint r = 0;

\tif (g->state) {
\t\tgadget_lock_nointr(g);
\t\tr = gadget_start(g);
\t\tgadget_release(g);
\t}
\treturn r;
}
"""

BAD = SOURCE.replace("\t\tr = gadget_start(g);\n", "\t\tr = gadget_start(g);\n\t\tif (r)\n\t\t\treturn r;\n")
LEAK_LINE = 14


def _repo(path: Path, header: str = HEADER) -> str:
    """A repository with the driver committed; returns the bad patch as ``git diff`` writes it."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Rita Reviewer")
    git(path, "config", "user.email", "rita@example.org")
    (path / "drivers/misc").mkdir(parents=True)
    (path / "drivers/misc/gadget.h").write_text(header)
    (path / "drivers/misc/gadget.c").write_text(SOURCE)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "gadget: add the driver")
    (path / "drivers/misc/gadget.c").write_text(BAD)
    assert BAD.split("\n")[LEAK_LINE - 1] == "\t\t\treturn r;"
    patch = git(path, "diff")
    git(path, "checkout", "-q", ".")
    return patch


def _leaks(patch: str, tmp_path: Path, repo: str) -> list[int]:
    f = tmp_path / "bug.patch"
    f.write_text(patch)
    rv = review(load(str(f)), Config(), warn=lambda _m: None, repo=repo)
    return [x.line for x in rv.findings if x.rule == "lock-balance"]


def test_repo_mode_reads_the_included_headers_wrappers(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    patch = _repo(repo)
    (repo / "drivers/misc/gadget.h").unlink()  # read from git, not from the work tree
    assert _leaks(patch, tmp_path, str(repo)) == [LEAK_LINE]


def test_without_the_header_the_unknown_call_is_no_lock(tmp_path: Path) -> None:
    """Outside the checkout the wrappers are names only: nothing is claimed about them."""
    repo = tmp_path / "linux"
    patch = _repo(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _leaks(patch, tmp_path, str(elsewhere)) == []


def test_a_header_that_does_not_lock_is_read_as_such(tmp_path: Path) -> None:
    """The header decides: where its ``gadget_lock_nointr()`` takes no lock there is no leak."""
    repo = tmp_path / "linux"
    header = HEADER.replace("\tmutex_lock(&g->cfg_mutex);\n", "\tg->state++;\n").replace(
        "\tmutex_unlock(&g->cfg_mutex);\n", "\tg->state--;\n"
    )
    patch = _repo(repo, header)
    assert _leaks(patch, tmp_path, str(repo)) == []


def test_one_batch_read_keeps_only_blobs(tmp_path: Path) -> None:
    """A tree, a missing path and a name with a space answer nothing; the blob answers its bytes."""
    from reviewkit.views.repo import find_repo

    repo = tmp_path / "linux"
    _repo(repo)
    found = find_repo(repo)
    assert found is not None
    names = ["HEAD:drivers", "HEAD:no such.h", "HEAD:drivers/misc/gadget.h", "HEAD:drivers/misc/gone.h"]
    got = found.blobs(names)
    assert list(got) == ["HEAD:drivers/misc/gadget.h"]
    assert got["HEAD:drivers/misc/gadget.h"].decode() == HEADER
