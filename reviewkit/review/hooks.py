"""Git-side integrations: the sendemail-validate hook and the pre-commit framework hooks.

``sendemail-validate``: git send-email runs it once per file it is about to
send, with ``$1`` the patch email (format-patch output, never to be
modified) and, from git 2.41, ``$2`` a file of SMTP headers plus
``GIT_SENDEMAIL_FILE_COUNTER``/``GIT_SENDEMAIL_FILE_TOTAL`` (the cover
letter counts).  A non-zero exit aborts the whole send before any mail goes
out.  reviewkit reviews each patch as it comes, keeps a copy of every file
of the send in ``$GIT_DIR/reviewkit/sendemail/``, and on the last file
reviews the whole series once more for what only the series shows.
``git send-email --compose`` scratch files (git's exact ``GIT: Lines
beginning in "GIT:" will be removed.`` line at the top) are skipped.
An existing hook (patatt's ``patatt sign --hook "$1"`` is common) is kept,
renamed to ``sendemail-validate.reviewkit-chained`` and run after reviewkit;
``uninstall`` renames it back, byte for byte.  A failed install leaves the
existing hook where it was.

The hook runs reviewkit isolated from the work tree (``python -P``: the
current directory is not on sys.path; empty or relative ``PYTHONPATH``
entries are dropped; plugins load only from the installed environment),
so nothing in the repository (a ``reviewkit/`` package, a ``unidiff.py``,
a ``*.dist-info`` declaring plugins) is ever imported.

When reviewkit itself cannot review (its interpreter or package is gone,
or it exits 2 on an error) the hook fails closed: the send is stopped with
a message saying why.  ``hook install --fail-open`` makes it say so and
send anyway, running the chained hook as usual.  Findings at or above
``fail-on`` always stop the send.

Every review here runs in tree mode when it can: the pre-image of each
file is read from git by the blob id on the patch's ``index`` line (or the
b4 base-commit, or HEAD), which makes whole functions visible without
touching the work tree (:mod:`reviewkit.views.repo`, shared with ``check``).
"""

# size: the sendemail-validate and pre-commit hooks share install/chain/restore; each half is small

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewkit.config import Config
from reviewkit.errors import InputError, UsageError
from reviewkit.gitsafe import SAFE_CONFIG
from reviewkit.io import write_atomic
from reviewkit.load.series import Series
from reviewkit.model import Finding, Severity

HOOK = "sendemail-validate"
CHAINED = HOOK + ".reviewkit-chained"
MARKER = "# reviewkit-hook: sendemail-validate"
CREATED_DIR_MARKER = "# reviewkit-created-hooks-dir"
_INDEX_RE = re.compile(r"^index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})")
COMPOSE_MARKER = b'GIT: Lines beginning in "GIT:" will be removed.'
"""The first GIT: line git send-email --compose writes (git-send-email.perl); nothing else skips review."""
_COMPOSE_RE = re.compile(rb'\A(?:[^\n]*\n){0,2}GIT: Lines beginning in "GIT:" will be removed\.\r?\n')
"""The marker as a whole line among the first three (where git puts it): a commit message never is."""

Printer = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# --------------------------------------------------------------------------
# git


def git(args: list[str], cwd: str | Path | None = None, *, binary: bool = False) -> str | bytes:
    """Run git; a failure is a one-line UsageError naming the command."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise UsageError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)}: timed out") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {detail[-1] if detail else 'failed'}")
    return proc.stdout if binary else proc.stdout.decode("utf-8", "surrogateescape")


def hooks_dir(cwd: str | Path | None = None) -> Path:
    """Where git looks for hooks (``core.hooksPath`` honoured), absolute."""
    where = Path(cwd or Path.cwd())
    raw = str(git(["rev-parse", "--git-path", "hooks"], where)).strip()
    path = Path(raw)
    return path if path.is_absolute() else (where / path).resolve()


# --------------------------------------------------------------------------
# install / uninstall


ISOLATION = "-P"
"""Never put the current directory (the work tree) on sys.path (Python >= 3.11)."""

_SAFE_PYTHONPATH = [
    "# Keep only absolute PYTHONPATH entries: an empty or relative one would mean the work tree.",
    'if [ -n "${PYTHONPATH+x}" ]; then',
    "\tsafe=",
    "\tIFS=:",
    "\tfor entry in $PYTHONPATH; do",
    '\t\tcase "$entry" in /*) safe="${safe:+$safe:}$entry" ;; esac',
    "\tdone",
    "\tunset IFS",
    '\tPYTHONPATH="$safe"',
    "\texport PYTHONPATH",
    "fi",
    "unset PYTHONSTARTUP PYTHONINSPECT",
]


def hook_script(python: str, fail_on: str | None = None, *, created_dir: bool = False, fail_open: bool = False) -> str:
    """The sendemail-validate script: reviewkit first, then the chained hook if any.

    Exit statuses of ``hook run``: 0 clean, 1 findings at or above the
    level (the send stops), 2 reviewkit could not review.  A missing
    interpreter or package is told apart from findings by importing the
    package first (``python -m`` of a missing module also exits 1).
    """
    opts = f" --fail-on {shlex.quote(fail_on)}" if fail_on else ""
    flags = ISOLATION
    return "\n".join(
        [
            "#!/bin/sh",
            MARKER,
            "# Installed by `reviewkit hook install`; `reviewkit hook uninstall` restores what was here.",
            *([CREATED_DIR_MARKER] if created_dir else []),
            f"REVIEWKIT_PYTHON={shlex.quote(python)}",
            f"REVIEWKIT_FAIL_OPEN={1 if fail_open else 0}",
            f'chained="$(dirname "$0")/{CHAINED}"',
            *_SAFE_PYTHONPATH,
            'if [ -x "$REVIEWKIT_PYTHON" ] && "$REVIEWKIT_PYTHON" '
            + flags
            + ' -c "import reviewkit.cli" 2>/dev/null; then',
            f'\t"$REVIEWKIT_PYTHON" {flags} -m reviewkit hook run{opts} -- "$@"',
            "\tstatus=$?",
            "else",
            '\techo "reviewkit: $REVIEWKIT_PYTHON cannot run reviewkit (interpreter or package gone)" >&2',
            "\tstatus=3",
            "fi",
            'if [ "$status" -eq 1 ]; then',
            "\texit 1",
            'elif [ "$status" -ne 0 ]; then',
            '\tif [ "$REVIEWKIT_FAIL_OPEN" = 1 ]; then',
            '\t\techo "reviewkit: patch NOT reviewed (status $status); sending anyway'
            ' (hook installed with --fail-open)" >&2',
            "\telse",
            '\t\techo "reviewkit: patch not reviewed (status $status): nothing was sent; fix reviewkit, or reinstall'
            ' with reviewkit hook install --fail-open, or send with --no-validate" >&2',
            '\t\texit "$status"',
            "\tfi",
            "fi",
            'if [ -x "$chained" ]; then',
            '\texec "$chained" "$@"',
            "fi",
            "exit 0",
            "",
        ]
    )


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return MARKER.encode() in head


@dataclass
class Installed:
    path: Path
    chained: Path | None
    updated: bool


def install(
    cwd: str | Path | None = None, fail_on: str | None = None, python: str | None = None, *, fail_open: bool = False
) -> Installed:
    """Write the hook; an existing foreign hook is kept and chained after reviewkit.

    The new script is written in full beside the target before anything is
    renamed, so a full disk or any other failure leaves the existing hook in
    place (and a half-done chaining is undone).
    """
    folder = hooks_dir(cwd)
    created = not folder.exists()
    target = folder / HOOK
    chained = folder / CHAINED
    updated = False
    foreign = False
    if target.exists() or target.is_symlink():
        if is_ours(target):
            updated = True
            created = CREATED_DIR_MARKER.encode() in target.read_bytes()
        else:
            if chained.exists() or chained.is_symlink():
                raise UsageError(f"{chained} already exists; move it away before installing")
            foreign = True
    script = hook_script(python or sys.executable, fail_on, created_dir=created, fail_open=fail_open)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{HOOK}.reviewkit-new"
    try:
        write_atomic(staging, script, mode=0o755)
    except OSError as exc:
        with contextlib.suppress(OSError):
            staging.unlink()
        raise UsageError(f"{target}: cannot install the hook: {exc.strerror or exc}; nothing was changed") from None
    try:
        if foreign:
            os.replace(target, chained)
        os.replace(staging, target)
    except OSError as exc:
        if foreign and not target.exists() and chained.exists():
            os.replace(chained, target)
        with contextlib.suppress(OSError):
            staging.unlink()
        raise UsageError(f"{target}: cannot install the hook: {exc.strerror or exc}; nothing was changed") from None
    return Installed(target, chained if (chained.exists() or chained.is_symlink()) else None, updated)


def uninstall(cwd: str | Path | None = None) -> str:
    """Remove reviewkit's hook and put back what it replaced; returns what was done."""
    folder = hooks_dir(cwd)
    target = folder / HOOK
    chained = folder / CHAINED
    if not (target.exists() or target.is_symlink()):
        raise UsageError(f"{target}: no sendemail-validate hook installed")
    if not is_ours(target):
        raise UsageError(f"{target}: not installed by reviewkit; leaving it alone")
    created = CREATED_DIR_MARKER.encode() in target.read_bytes()
    if chained.exists() or chained.is_symlink():
        os.replace(chained, target)
        return f"restored the previous hook at {target}"
    target.unlink()
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return f"removed {target}"


# --------------------------------------------------------------------------
# reviewing in hooks


def review_findings(series: Series, config: Config, *, use_tree: bool = True) -> list[Finding]:
    """The pipeline's findings for ``series``, with context from this repository when it has the pre-images.

    Exactly what ``reviewkit check`` does in the same checkout (the patch's
    blobs, the b4 base-commit, HEAD: :mod:`reviewkit.views.repo`), so the
    hook and ``check`` agree on the same series.
    """
    from reviewkit.review.pipeline import review

    return review(series, config, repo="." if use_tree else None).findings


def report(findings: list[Finding], label: str, fail_on: Severity, out: Printer) -> int:
    """Print findings one per line; 1 when one is at or above ``fail_on``."""
    from reviewkit.report.checkpatch import terse_line

    for f in findings:
        out(f"reviewkit: {label}: {terse_line(f)}")
    blocking = [f for f in findings if f.severity.rank >= fail_on.rank]
    return 1 if blocking else 0


def _state_dir(cwd: str | Path | None = None) -> Path:
    try:
        git_dir = Path(str(git(["rev-parse", "--absolute-git-dir"], cwd)).strip())
        return git_dir / "reviewkit" / "sendemail"
    except UsageError:
        return Path(tempfile.gettempdir()) / f"reviewkit-sendemail-{os.getuid()}"


def _counter(env: Mapping[str, str]) -> tuple[int, int] | None:
    try:
        n, total = int(env["GIT_SENDEMAIL_FILE_COUNTER"]), int(env["GIT_SENDEMAIL_FILE_TOTAL"])
    except (KeyError, ValueError):
        return None
    return (n, total) if 1 <= n <= total else None


def _load_one(path: Path, out: Printer) -> Series | None:
    from reviewkit.load.series import load

    try:
        return load(str(path))
    except InputError as exc:
        if "no patch found" not in str(exc):
            out(f"reviewkit: {path.name}: not reviewed: {exc}")
        return None


def run_sendemail(
    patch_file: str,
    config: Config,
    fail_on: Severity,
    *,
    env: Mapping[str, str] | None = None,
    use_tree: bool = True,
    out: Printer = _stderr,
) -> int:
    """One sendemail-validate call: review this file; on the last of a counted send, the series."""
    env = os.environ if env is None else env
    path = Path(patch_file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{patch_file}: cannot read: {exc.strerror or exc}") from None
    if _COMPOSE_RE.match(data):
        return 0
    count = _counter(env)
    state = _state_dir() if count else None
    if state is not None and count is not None:
        if count[0] == 1 and state.exists():
            shutil.rmtree(state)
        state.mkdir(parents=True, exist_ok=True)
        (state / f"{count[0]:04d}.patch").write_bytes(data)
    status = 0
    series = _load_one(path, out)
    if series is not None:
        findings = review_findings(series, config, use_tree=use_tree)
        status = report(findings, path.name, fail_on, out)
        if state is not None:
            with (state / "reported").open("a", encoding="utf-8") as fh:
                fh.writelines(f.fingerprint + "\n" for f in findings)
    if state is not None and count is not None and count[0] == count[1]:
        status = max(status, _series_pass(state, config, fail_on, use_tree, out))
        shutil.rmtree(state, ignore_errors=True)
    return status


def _series_pass(state: Path, config: Config, fail_on: Severity, use_tree: bool, out: Printer) -> int:
    """Review every file of the send as one series; report what the per-file runs did not."""
    from reviewkit.load.series import load_directory

    files = sorted(state.glob("*.patch"))
    if len(files) < 2:
        return 0
    try:
        series = load_directory(str(state))
    except InputError:
        return 0
    reported_file = state / "reported"
    seen = set(reported_file.read_text("utf-8").split()) if reported_file.exists() else set()
    findings = [f for f in review_findings(series, config, use_tree=use_tree) if f.fingerprint not in seen]
    return report(findings, "series", fail_on, out)


def run_staged(
    files: list[str], config: Config, fail_on: Severity, *, use_tree: bool = True, out: Printer = _stderr
) -> int:
    """pre-commit's per-file hook: review the staged change of ``files`` (not the whole files)."""
    from reviewkit.load.series import load

    diff = str(
        git(
            [
                *SAFE_CONFIG,
                "diff",
                "--cached",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                "--",
                *files,
            ]
        )
    )
    if not diff.strip():
        return 0
    with tempfile.TemporaryDirectory(prefix="reviewkit-staged-") as tmp:
        patch = Path(tmp) / "staged.diff"
        patch.write_text(diff, "utf-8", errors="surrogateescape")
        series = load(str(patch))
        series.source = "staged changes"
        findings = review_findings(series, config, use_tree=use_tree)
    return report(findings, "staged", fail_on, out)


def run_range(
    from_ref: str | None,
    to_ref: str | None,
    config: Config,
    fail_on: Severity,
    *,
    use_tree: bool = True,
    out: Printer = _stderr,
) -> int:
    """pre-commit's pre-push hook: review the commits being pushed as one series."""
    from reviewkit.load.series import load_git_range

    if not to_ref or not from_ref or not from_ref.strip("0"):
        # pre-commit runs a root-commit push without a range: nothing to diff against.
        out("reviewkit: pre-push: no base to compare with (PRE_COMMIT_FROM_REF/TO_REF unset); not reviewed")
        return 0
    rev_range = f"{from_ref}..{to_ref}"
    try:
        series = load_git_range(rev_range)
    except InputError as exc:
        if "no commits in range" in str(exc):
            return 0
        raise
    findings = review_findings(series, config, use_tree=use_tree)
    return report(findings, rev_range, fail_on, out)
