"""Mail as it arrives: the diff wherever the mail carries it, the patch named by who wrote it.

The mails are built here with Python's email package; the diff is a
synthetic driver change that adds an early return under a spinlock, so
each form must come out as one reviewable patch with the lock-balance
finding on the new return (line 16).
"""

from __future__ import annotations

import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from reviewkit.load.series import load
from reviewkit.review.pipeline import review

PATH = "drivers/misc/gizmo.c"
LEAK_LINE = 16
COMMIT = (
    "gizmo: give up when the queue is full\n\nStop early instead of spinning.\n\n"
    "Signed-off-by: Ann Author <ann@example.org>\n"
)


def diff(old_prefix: str = "a/", new_prefix: str = "b/", old_suffix: str = "") -> str:
    return (
        f"diff --git a/{PATH} b/{PATH}\n" * (old_prefix == "a/" and new_prefix == "b/" and not old_suffix)
        + f"--- {old_prefix}{PATH}{old_suffix}\n"
        + f"+++ {new_prefix}{PATH}\n"
        + "@@ -10,10 +10,12 @@ struct gizmo {\n"
        + " static int gizmo_push(struct gizmo *g, int v)\n"
        + " {\n"
        + " \tint ret = 0;\n"
        + " \n"
        + " \tspin_lock(&g->lock);\n"
        + " \tif (g->len == g->cap)\n"
        + "+\t\treturn -ENOSPC;\n"
        + "+\tif (v < 0)\n"
        + " \t\tret = -EINVAL;\n"
        + " \tg->slot[g->len++] = v;\n"
        + " \tspin_unlock(&g->lock);\n"
        + " \treturn ret;\n"
        + " }\n"
    )


def _mail(subject: str, sender: str = "Ann Author <ann@example.org>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "linux-kernel@vger.kernel.org"
    msg["Subject"] = subject
    msg["Message-Id"] = "<20260101.1@example.org>"
    return msg


def _load(tmp_path: Path, data: bytes, name: str = "mail.eml"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    return load(str(path))


def _assert_reviewed(series, title: str, author: str = "Ann Author") -> None:  # type: ignore[no-untyped-def]
    assert len(series.patches) == 1
    patch = series.patches[0]
    assert patch.subject.title == title
    assert patch.author_name == author
    assert [(f.source_file[2:], f.target_file[2:]) for f in patch.patchset] == [(PATH, PATH)]
    lines = [f.line for f in review(series).findings if f.rule == "lock-balance"]
    assert lines == [LEAK_LINE]


# --------------------------------------------------------------------------
# MIME attachments


@pytest.mark.parametrize(
    ("ctype", "filename", "cte"),
    [
        ("text/x-patch", "0001-gizmo.patch", "7bit"),
        ("text/x-diff", None, "quoted-printable"),
        ("text/plain", "gizmo.diff", "base64"),
        ("application/octet-stream", "0001-gizmo-give-up.patch", "base64"),
    ],
)
def test_diff_in_an_attachment(tmp_path: Path, ctype: str, filename: str | None, cte: str) -> None:
    msg = _mail("[PATCH] gizmo: give up when the queue is full")
    msg.set_content(COMMIT)
    maintype, subtype = ctype.split("/")
    payload = diff().encode()
    if maintype == "text":
        msg.add_attachment(payload.decode(), subtype=subtype, filename=filename, cte=cte)
    else:
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename, cte=cte)
    raw = msg.as_bytes()
    assert cte.encode() in raw.lower() or cte == "7bit"
    _assert_reviewed(_load(tmp_path, raw), "gizmo: give up when the queue is full")


def test_an_attached_format_patch_names_the_patch(tmp_path: Path) -> None:
    """A ``git format-patch`` file attached to a short note: its own From/Subject are the patch's."""
    attached = (
        "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
        "From: Bob Builder <bob@example.org>\n"
        "Subject: [PATCH] gizmo: stop early\n"
        "Date: Thu, 1 Jan 2026 10:00:00 +0000\n\n" + COMMIT + "---\n" + diff()
    )
    msg = _mail("patch for the queue problem", sender="Ann Author <ann@example.org>")
    msg.set_content("Here is Bob's fix, as discussed.\n")
    msg.add_attachment(attached, subtype="plain", filename="0001-gizmo-stop-early.patch", cte="base64")
    _assert_reviewed(_load(tmp_path, msg.as_bytes()), "gizmo: stop early", author="Bob Builder")


def test_a_forwarded_message_names_the_patch(tmp_path: Path) -> None:
    inner = _mail("[PATCH] gizmo: stop early", sender="Bob Builder <bob@example.org>")
    inner.set_content(COMMIT + "---\n" + diff())
    outer = _mail("Fwd: [PATCH] gizmo: stop early")
    outer.set_content("FYI\n")
    outer.add_attachment(inner)
    series = _load(tmp_path, outer.as_bytes())
    _assert_reviewed(series, "gizmo: stop early", author="Bob Builder")


# --------------------------------------------------------------------------
# A reply carrying a diff


def test_a_reply_carrying_a_diff_is_reviewed_with_a_note(tmp_path: Path) -> None:
    msg = _mail("Re: [PATCH] gizmo: rework the queue", sender="Ann Author <ann@example.org>")
    msg["In-Reply-To"] = "<20251231.1@example.org>"
    msg.set_content("> does this fix it?\n\nCould you test this on top?\n\n" + diff())
    series = _load(tmp_path, msg.as_bytes())
    _assert_reviewed(series, "gizmo: rework the queue")
    assert any("a reply" in w and "reviewing the diff it carries" in w for w in series.warnings)
    assert series.replies == []


def test_replies_next_to_a_patch_stay_replies(tmp_path: Path) -> None:
    patch = _mail("[PATCH] gizmo: give up when the queue is full")
    patch.set_content(COMMIT + "---\n" + diff())
    reply = _mail("Re: [PATCH] gizmo: give up when the queue is full", sender="Rita <rita@example.org>")
    reply.set_content("Maybe this instead?\n\n" + diff().replace("-ENOSPC", "-EBUSY"))
    data = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m.as_bytes() + b"\n" for m in (patch, reply))
    series = _load(tmp_path, data, "thread.mbox")
    assert len(series.patches) == 1 and len(series.replies) == 1
    assert not any("a reply" in w for w in series.warnings)


# --------------------------------------------------------------------------
# Diffs inside bodies: -mm notifications, pasted text, other path prefixes

MM_BODY = (
    "The patch titled\n"
    "     Subject: gizmo: give up when the queue is full\n"
    "has been added to the -mm mm-hotfixes-unstable branch.  Its filename is\n"
    "     gizmo-give-up-when-the-queue-is-full.patch\n\n"
    "This patch will shortly appear at\n"
    "     https://git.kernel.org/pub/scm/linux/kernel/git/akpm/25-new.git/tree/patches/gizmo.patch\n\n"
    "------------------------------------------------------\n"
    "From: Ann Author <ann@example.org>\n"
    "Subject: gizmo: give up when the queue is full\n"
    "Date: Thu, 1 Jan 2026 10:00:00 +0000\n\n" + COMMIT + "Signed-off-by: Andrew Morton <akpm@linux-foundation.org>\n"
    "---\n\n"
    " drivers/misc/gizmo.c |    2 ++\n"
    " 1 file changed, 2 insertions(+)\n\n"
    + diff(old_prefix="a/", new_prefix="a/", old_suffix="~gizmo-give-up-when-the-queue-is-full")
    + "_\n\nPatches currently in -mm which might be from ann@example.org are\n\n"
    "gizmo-give-up-when-the-queue-is-full.patch\n"
)


def test_mm_tree_notification_mail(tmp_path: Path) -> None:
    msg = _mail("+ gizmo-give-up-when-the-queue-is-full.patch added to mm-hotfixes-unstable branch")
    del msg["From"]
    msg["From"] = "Andrew Morton <akpm@linux-foundation.org>"
    msg.set_content(MM_BODY)
    series = _load(tmp_path, msg.as_bytes())
    _assert_reviewed(series, "gizmo: give up when the queue is full")
    assert "The patch titled" not in series.patches[0].commit_message


def test_mm_tree_notification_pasted_without_headers(tmp_path: Path) -> None:
    series = _load(tmp_path, MM_BODY.encode(), "notification.txt")
    _assert_reviewed(series, "gizmo: give up when the queue is full")


def test_diff_inside_a_body_without_headers(tmp_path: Path) -> None:
    text = "Hi,\n\nthe change I mentioned:\n\n" + diff() + "\nThanks\n"
    series = _load(tmp_path, text.encode(), "note.txt")
    assert len(series.patches) == 1
    assert [f.line for f in review(series).findings if f.rule == "lock-balance"] == [LEAK_LINE]


def test_traditional_diff_with_other_prefixes_is_found(tmp_path: Path) -> None:
    msg = _mail("[PATCH] gizmo: give up when the queue is full")
    msg.set_content(COMMIT + "---\n" + diff(old_prefix="a/", new_prefix="b/", old_suffix=".orig"))
    series = _load(tmp_path, msg.as_bytes())
    assert len(series.patches) == 1


def test_text_without_a_diff_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("The patch titled\n     Subject: foo\nhas been removed from the -mm tree.\n")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewkit", "check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not an mbox, patch or diff" in proc.stderr


def test_cli_reviews_an_attached_patch(tmp_path: Path) -> None:
    msg = _mail("[PATCH] gizmo: give up when the queue is full")
    msg.set_content(COMMIT)
    msg.add_attachment(diff().encode(), maintype="application", subtype="octet-stream", filename="fix.patch")
    path = tmp_path / "mail.eml"
    path.write_bytes(msg.as_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "reviewkit", "check", "--no-repo", "--terse", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"{PATH}:{LEAK_LINE}:" in proc.stdout
