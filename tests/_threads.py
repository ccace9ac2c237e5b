"""Synthetic multi-version review threads (kernel-style code written for the tests).

:func:`two_versions` writes one mbox holding v1 and v2 of a two-patch series,
each with a cover letter, and the replies a real thread has: a Reviewed-by on
a v1 patch, an Acked-by given to the v2 cover letter (it applies to every
patch), a Tested-by on one v2 patch, a Reviewed-by inside a reply to a reply,
a top-posted answer, a reply quoting nothing and a trailer that is only
quoted (it must not be collected).
"""

from __future__ import annotations

from pathlib import Path

AUTHOR = "Pat Author <pat@example.org>"
DATE = "Mon, 2 Mar 2026 10:00:00 +0000"

FILE_A = "drivers/gadget/core.c"
FILE_B = "drivers/gadget/queue.c"


def _diff(path: str, old_line: str, new_line: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\n"
        f"--- a/{path}\n+++ b/{path}\n"
        "@@ -10,7 +10,7 @@ static int gadget_probe(struct gadget *gadget)\n"
        " {\n \tint ret;\n \n"
        f"-{old_line}\n+{new_line}\n"
        " \tif (ret)\n \t\treturn ret;\n"
        " \treturn 0;\n"
    )


def _msg(
    mid: str, subject: str, body: str, *, author: str = AUTHOR, reply_to: str | None = None, date: str = DATE
) -> str:
    head = [
        "From mboxrd@z Thu Jan  1 00:00:00 1970",
        f"From: {author}",
        f"Date: {date}",
        f"Subject: {subject}",
        f"Message-Id: <{mid}>",
    ]
    if reply_to:
        head += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    return "\n".join(head) + "\n" + body.rstrip("\n") + "\n\n"


def _patch(version: int, index: int, old: str, new: str, path: str, title: str) -> tuple[str, str]:
    mid = f"v{version}.{index}@example.org"
    vtag = f" v{version}" if version > 1 else ""
    body = (
        f"{title.capitalize()} in gadget_probe() so the probe path reports errors.\n\n"
        f"Signed-off-by: {AUTHOR}\n---\n"
        f" {path} | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n" + _diff(path, old, new) + "-- \n2.39.5\n"
    )
    text = _msg(mid, f"[PATCH{vtag} {index}/2] gadget: {title}", body, reply_to=f"v{version}.0@example.org")
    return mid, text


def _cover(version: int, extra: str = "") -> str:
    vtag = f" v{version}" if version > 1 else ""
    body = (
        "This series makes the gadget probe path report errors.\n\n"
        + extra
        + "Pat Author (2):\n  gadget: check the clock\n  gadget: check the queue\n\n"
        " drivers/gadget/core.c  | 2 +-\n drivers/gadget/queue.c | 2 +-\n"
        " 2 files changed, 2 insertions(+), 2 deletions(-)\n\n-- \n2.39.5\n"
    )
    return _msg(f"v{version}.0@example.org", f"[PATCH{vtag} 0/2] gadget: report probe errors", body)


def two_versions(tmp: Path) -> Path:
    """v1 and v2 of a two-patch series and their replies, as ``b4 mbox`` would save them."""
    parts: list[str] = []
    parts.append(_cover(1))
    _m, p = _patch(1, 1, "\tret = gadget_clk(gadget);", "\tret = gadget_clk_on(gadget);", FILE_A, "check the clock")
    parts.append(p)
    _m, p = _patch(1, 2, "\tret = gadget_q(gadget);", "\tret = gadget_q_init(gadget);", FILE_B, "check the queue")
    parts.append(p)
    parts.append(
        _msg(
            "r1@example.org",
            "Re: [PATCH 1/2] gadget: check the clock",
            "On Mon, Pat Author wrote:\n> -\tret = gadget_clk(gadget);\n> +\tret = gadget_clk_on(gadget);\n\n"
            "Looks right.\n\nReviewed-by: Rita Viewer <rita@example.org>\n",
            author="Rita Viewer <rita@example.org>",
            reply_to="v1.1@example.org",
        )
    )
    parts.append(
        _cover(
            2,
            "Changes in v2:\n- patch 2: initialise the queue before the clock\n"
            "- Link to v1: https://patch.msgid.link/v1.0@example.org\n\n",
        )
    )
    _m, p = _patch(2, 1, "\tret = gadget_clk(gadget);", "\tret = gadget_clk_on(gadget);", FILE_A, "check the clock")
    parts.append(p)
    _m, p = _patch(2, 2, "\tret = gadget_q(gadget);", "\tret = gadget_q_setup(gadget);", FILE_B, "check the queue")
    parts.append(p)
    parts.append(
        _msg(
            "r2@example.org",
            "Re: [PATCH v2 0/2] gadget: report probe errors",
            "On Mon, Pat Author wrote:\n> This series makes the gadget probe path report errors.\n\n"
            "For the series:\n\nAcked-by: Mara Intainer <mara@example.org>\n",
            author="Mara Intainer <mara@example.org>",
            reply_to="v2.0@example.org",
        )
    )
    parts.append(
        _msg(
            "r3@example.org",
            "Re: [PATCH v2 2/2] gadget: check the queue",
            "On Mon, Pat Author wrote:\n> +\tret = gadget_q_setup(gadget);\n\n"
            "Does gadget_q_setup() undo itself when it fails?\n",
            author="Rita Viewer <rita@example.org>",
            reply_to="v2.2@example.org",
        )
    )
    parts.append(
        _msg(
            "r4@example.org",
            "Re: [PATCH v2 2/2] gadget: check the queue",
            "Yes, it frees what it allocated before returning.\n\n"
            "On Mon, Rita Viewer wrote:\n> Does gadget_q_setup() undo itself when it fails?\n",
            reply_to="r3@example.org",
        )
    )
    parts.append(
        _msg(
            "r5@example.org",
            "Re: [PATCH v2 2/2] gadget: check the queue",
            "On Mon, Pat Author wrote:\n> Yes, it frees what it allocated before returning.\n\n"
            "Thanks, then:\n\nReviewed-by: Rita Viewer <rita@example.org>\n",
            author="Rita Viewer <rita@example.org>",
            reply_to="r4@example.org",
        )
    )
    parts.append(
        _msg(
            "r6@example.org",
            "Re: [PATCH v2 2/2] gadget: check the queue",
            "Ran it on my board, probe errors are reported now.\n\nTested-by: Theo Ester <theo@example.org>\n",
            author="Theo Ester <theo@example.org>",
            reply_to="v2.2@example.org",
        )
    )
    parts.append(
        _msg(
            "r7@example.org",
            "Re: [PATCH v2 1/2] gadget: check the clock",
            "On Mon, Rita Viewer wrote:\n> Reviewed-by: Someone Else <else@example.org>\n\n"
            "I only quote a trailer here; it is not mine to give.\n",
            author="Quinn Oter <quinn@example.org>",
            reply_to="v2.1@example.org",
        )
    )
    path = tmp / "two-versions.mbox"
    path.write_text("".join(parts), "utf-8")
    return path
