"""Git-side integrations: the sendemail-validate hook and the pre-commit framework hooks.

``sendemail-validate``: git send-email runs it once per file it is about to
send, with ``$1`` the patch email (format-patch output, never to be
modified) and, from git 2.41, ``$2`` a file of SMTP headers plus
``GIT_SENDEMAIL_FILE_COUNTER``/``GIT_SENDEMAIL_FILE_TOTAL`` (the cover
letter counts).  A non-zero exit aborts the whole send before any mail goes
out.  reviewkit reviews each patch as it comes, keeps a copy of every file
of the send in ``$GIT_DIR/reviewkit/sendemail/``, and on the last file
reviews the whole series once more for what only the series shows.
``git send-email --compose`` scratch files (``GIT: `` lines) are skipped.
An existing hook (patatt's ``patatt sign --hook "$1"`` is common) is kept,
renamed to ``sendemail-validate.reviewkit-chained`` and run after reviewkit;
``uninstall`` renames it back, byte for byte.

Every review here runs in tree mode when it can: the pre-image of each
file is read from git by the blob id on the patch's ``index`` line (or the
b4 base-commit, or HEAD), which makes whole functions visible without
touching the work tree (:mod:`reviewkit.views.repo`, shared with ``check``).
"""

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
_COMPOSE_RE = re.compile(rb"(?m)^GIT: ")

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


def hook_script(python: str, fail_on: str | None = None, *, created_dir: bool = False) -> str:
    """The sendemail-validate script: reviewkit first, then the chained hook if any."""
    opts = f" --fail-on {shlex.quote(fail_on)}" if fail_on else ""
    return "\n".join(
        [
            "#!/bin/sh",
            MARKER,
            "# Installed by `reviewkit hook install`; `reviewkit hook uninstall` restores what was here.",
            *([CREATED_DIR_MARKER] if created_dir else []),
            f"REVIEWKIT_PYTHON={shlex.quote(python)}",
            'if [ -x "$REVIEWKIT_PYTHON" ]; then',
            f'\t"$REVIEWKIT_PYTHON" -m reviewkit hook run{opts} -- "$@" || exit $?',
            "else",
            '\techo "reviewkit: $REVIEWKIT_PYTHON is gone; patch not reviewed" >&2',
            "fi",
            f'chained="$(dirname "$0")/{CHAINED}"',
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


def install(cwd: str | Path | None = None, fail_on: str | None = None, python: str | None = None) -> Installed:
    """Write the hook; an existing foreign hook is kept and chained after reviewkit."""
    folder = hooks_dir(cwd)
    created = not folder.exists()
    target = folder / HOOK
    chained = folder / CHAINED
    updated = False
    if target.exists() or target.is_symlink():
        if is_ours(target):
            updated = True
            created = CREATED_DIR_MARKER.encode() in target.read_bytes()
        else:
            if chained.exists() or chained.is_symlink():
                raise UsageError(f"{chained} already exists; move it away before installing")
            os.replace(target, chained)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(target, hook_script(python or sys.executable, fail_on, created_dir=created), mode=0o755)
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
    if _COMPOSE_RE.search(data):
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
