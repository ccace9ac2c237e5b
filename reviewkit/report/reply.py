"""``--format reply``: the review as an LKML reply email (the same text the TUI writes).

One email answering the patch when the findings are on one patch, an mbox
of replies (one per patch with findings) otherwise; nothing when there is
nothing to say.  The sender comes from ``git config user.name/user.email``.
See :mod:`reviewkit.report.mailreply` for the layout.
"""

from __future__ import annotations

from reviewkit.errors import UsageError
from reviewkit.model import Severity
from reviewkit.report import Result
from reviewkit.report.mailreply import ReplyOptions, build_reply

FORMAT = "reply"


def render(result: Result) -> str:
    if result.series is None:
        return ""
    given = result.options.get("reply") or {}
    try:
        severity = Severity.parse(str(given.get("severity", "warning")))
    except ValueError:
        raise UsageError(f"unknown --reply-severity {given.get('severity')!r} (error, warning or info)") from None
    options = ReplyOptions(severity, str(given.get("nits", "group")), str(given.get("raised", "omit")))
    return build_reply(result.series, result.findings, options=options)
