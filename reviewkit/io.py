"""File access with the user's safety in mind.

Writes are atomic: a crash or a full disk never leaves a half-written user
file, and a temporary file a killed run left behind is swept by the next
write of the same target.  Reads are bounded: a device, a FIFO or a symlink
to one is refused where a regular file is expected (``st_size`` is 0 for
them, so a size check alone would read ``/dev/zero`` forever), and at most
``limit + 1`` bytes are ever read.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from reviewkit.errors import UsageError


class NotRegularFile(OSError):
    """A device, FIFO, socket or directory where a regular file was expected."""


class TooLarge(OSError):
    """A file over the size limit of what reads it."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most ``limit``.

    Raises :class:`NotRegularFile` for anything else and :class:`TooLarge`
    past ``limit``; both are OSErrors, so every caller that already treats an
    unreadable file as a note or a miss keeps doing so.  The file is opened
    non-blocking so that a FIFO cannot hang the open itself.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"{_kind(st.st_mode)}, not a regular file")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        have = 0
        while have <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - have))
            if not chunk:
                break
            chunks.append(chunk)
            have += len(chunk)
    finally:
        os.close(fd)
    if have > limit:
        raise TooLarge(f"larger than the limit of {limit} bytes")
    return b"".join(chunks)


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


_TMP_RE = re.compile(r"\.(\d+)\.[^.]+\.tmp$")


def _sweep_stale(target: Path) -> None:
    """Remove temporaries of ``target`` left by runs that were killed (their pid is gone)."""
    head = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            name = entry.name
            if not (name.startswith(head) and name.endswith(".tmp")):
                continue
            m = _TMP_RE.search(name[len(head) - 1 :])
            if m is None or int(m.group(1)) == os.getpid():
                continue
            try:
                os.kill(int(m.group(1)), 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            except (PermissionError, OverflowError):
                continue


def write_atomic(path: str | Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A symlink is written through (its target is replaced, the link stays);
    a device or FIFO (``-o /dev/null``, ``-o /dev/stdout``) is written to
    directly, never replaced by a regular file; a directory is a usage error.
    """
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path}: is a directory; give a file name to write to")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{path}: cannot write to {_kind(st.st_mode)}: {exc.strerror or exc}") from None
        return
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(target)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else _default_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _default_mode(target: Path) -> int:
    """Keep an existing file's mode; a new file gets 0666 less the umask, like open() would.

    mkstemp() creates 0600 files, which would make a written reply or mbox
    unreadable to the mailer running as another user.
    """
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def input_files(inputs: Iterable[str | Path | None]) -> list[Path]:
    """Every file an input names: the file itself, or each regular file directly in a directory."""
    out: list[Path] = []
    for item in inputs:
        if item is None or str(item) == "-":
            continue
        p = Path(item)
        if p.is_dir():
            with contextlib.suppress(OSError):
                out.extend(c for c in p.iterdir() if c.is_file())
        else:
            out.append(p)
    return out


def refuse_clobber(output: str | Path | None, inputs: Iterable[str | Path | None], option: str = "-o") -> None:
    """UsageError when writing ``output`` would replace one of the inputs (same file, any name)."""
    if output is None:
        return
    out_id = _identity(output)
    if out_id is None:
        return
    for f in input_files(inputs):
        if _identity(f) == out_id:
            raise UsageError(f"{option} {output}: is the input {f}; refusing to overwrite it")
