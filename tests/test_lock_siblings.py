"""lock-balance reads the helpers a function calls from the other ``.c`` files of its directory
(``reviewkit.locks.siblings``), in a scan and in tree mode, before it reports a leak or a double
acquire; a static function of another file, or one in another directory, is not that helper."""

from __future__ import annotations

import io
import json
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from reviewkit.cli import main

CALLER = """\
struct gz_info {
	struct rw_semaphore sem;
	int mode;
};

int gz_expand(struct inode *inode);

static int gz_write(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct gz_info *gi = GZ_I(inode);
	int err;

	down_write(&gi->sem);
	if (gi->mode == 0) {
		err = gz_expand(inode);
		if (err)
			return err;
	} else {
		up_write(&gi->sem);
	}
	return 0;
}
"""

HELPER = """\
{storage}int gz_expand(struct inode *inode)
{{
	if (inode->i_size > 4) {{
		up_write(&GZ_I(inode)->sem);
		return -EIO;
	}}
	GZ_I(inode)->mode = 1;
	up_write(&GZ_I(inode)->sem);
	return 0;
}}
"""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def _scan(path: Path, *, cache: bool = False) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["scan", "--rule", "lock-balance", *([] if cache else ["--no-cache"]), "-q", "-f", "json", str(path)])
    assert rc in (0, 1), err.getvalue()
    return [f for f in json.loads(out.getvalue())["findings"] if f["rule"] == "lock-balance"]


def _tree(root: Path, helper: str | None, where: str = "fs/gz") -> Path:
    (root / "fs/gz").mkdir(parents=True)
    (root / "fs/gz/file.c").write_text(CALLER)
    if helper is not None:
        (root / where).mkdir(parents=True, exist_ok=True)
        (root / where / "inode.c").write_text(helper)
    return root


def test_a_helper_next_to_the_file_explains_the_release(tmp_path: Path) -> None:
    tree = _tree(tmp_path, HELPER.format(storage=""))
    assert _scan(tree / "fs/gz/file.c") == []


@pytest.mark.parametrize(
    ("helper", "where"),
    [(None, "fs/gz"), (HELPER.format(storage="static "), "fs/gz"), (HELPER.format(storage=""), "fs/other")],
    ids=["no-helper", "static-helper", "other-directory"],
)
def test_without_that_helper_the_leak_is_reported(tmp_path: Path, helper: str | None, where: str) -> None:
    tree = _tree(tmp_path, helper, where)
    [leak] = _scan(tree / "fs/gz/file.c")
    assert leak["line"] == 18 and "still held" in leak["message"]


PRE = CALLER.replace("\t\terr = gz_expand(inode);\n", "\t\tup_write(&gi->sem);\n\t\terr = gz_check(inode);\n")


def _check(tmp_path: Path, tree: Path) -> list[dict]:
    """``check`` of a patch that moves the release into ``gz_expand()``, with ``--tree``."""
    return _check_patch(tmp_path, tree, "+\t\terr = gz_expand(inode);")


def test_tree_mode_reads_the_helper_from_the_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path, HELPER.format(storage=""))
    (tree / "fs/gz/file.c").write_text(PRE)
    (tmp_path / "post/fs/gz").mkdir(parents=True)
    (tmp_path / "post/fs/gz/file.c").write_text(CALLER)
    assert _check(tmp_path, tree) == []
    (tree / "fs/gz/inode.c").unlink()
    [leak] = _check(tmp_path, tree)
    assert leak["line"] == 18 and "still held" in leak["message"]


USER = """\
struct gz_obj {
	spinlock_t lock;
	struct mutex mtx;
	int v;
};

int gz_get(struct gz_obj *o);

static int gz_use(struct gz_obj *obj, int v)
{
	mutex_lock(&obj->mtx);
	gz_get(obj);
	if (v)
		return -EINVAL;
	spin_unlock(&obj->lock);
	mutex_unlock(&obj->mtx);
	return 0;
}
"""

GETTER = """\
int gz_get(struct gz_obj *o)
{
	spin_lock(&o->lock);
	return 0;
}
"""


def test_a_benign_edit_of_a_function_a_sibling_helper_explains_is_quiet(tmp_path: Path) -> None:
    """The pre-image is read with the same sibling helpers as the post-image: a hold both already have
    (here ``obj->lock`` from ``gz_get()`` in get.c, kept on the ``-EINVAL`` exit) is not introduced."""
    tree = tmp_path
    (tree / "fs/gz").mkdir(parents=True)
    (tree / "fs/gz/file.c").write_text(USER)
    (tree / "fs/gz/get.c").write_text(GETTER)
    (tmp_path / "post/fs/gz").mkdir(parents=True)
    (tmp_path / "post/fs/gz/file.c").write_text(USER.replace("\tgz_get(obj);\n", "\tgz_get(obj);\n\tobj->v++;\n"))
    assert _check_patch(tmp_path, tree, "+\tobj->v++;") == []
    scanned = _scan(tree / "fs/gz/file.c")
    assert scanned and all(f["function"] == "gz_use" for f in scanned)  # the leak itself is there


def _check_patch(tmp_path: Path, tree: Path, added: str) -> list[dict]:
    """``check --tree`` of the diff from fs/gz/file.c to post/fs/gz/file.c, which must add ``added``."""
    patch = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "--", "fs/gz/file.c", "post/fs/gz/file.c"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout.replace("post/fs/gz/file.c", "fs/gz/file.c")
    assert added in patch
    (tmp_path / "p.diff").write_text(patch)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["check", str(tmp_path / "p.diff"), "--select", "lock-balance", "-f", "json", "--tree", str(tree)])
    assert rc in (0, 1), err.getvalue()
    return [f for f in json.loads(out.getvalue())["findings"] if f["rule"] == "lock-balance"]


def test_a_warm_scan_sees_a_sibling_or_a_header_that_changed(tmp_path: Path) -> None:
    """The cache keys a file's result by the helpers it reads too (``reviewkit.engine.deps``): the
    findings follow the sibling helper and the local header, not the last run."""
    tree = _tree(tmp_path, HELPER.format(storage=""))
    caller = tree / "fs/gz/file.c"
    assert _scan(caller, cache=True) == []
    keeps = HELPER.format(storage="").replace("\t\tup_write(&GZ_I(inode)->sem);\n", "")
    (tree / "fs/gz/inode.c").write_text(keeps.replace("\tup_write(&GZ_I(inode)->sem);\n", ""))
    assert [f["line"] for f in _scan(caller, cache=True)] == [18], "the old result replayed after the sibling changed"
    (tree / "fs/gz/inode.c").unlink()
    (tree / "fs/gz/gz.h").write_text(
        "static inline int gz_expand(struct inode *inode)\n{\n\tup_write(&GZ_I(inode)->sem);\n\treturn 0;\n}\n"
    )
    caller.write_text('#include "gz.h"\n' + CALLER.replace("int gz_expand(struct inode *inode);\n", ""))
    assert _scan(caller, cache=True) == []
    (tree / "fs/gz/gz.h").write_text("static inline int gz_expand(struct inode *inode)\n{\n\treturn 0;\n}\n")
    assert [f["line"] for f in _scan(caller, cache=True)] == [18], "the old result replayed after the header changed"
