"""``--format reply``: the review as an LKML reply email (the same text the TUI writes).

One email answering the patch when the findings are on one patch, an mbox
of replies (one per patch with findings) otherwise; nothing when there is
nothing to say.  The sender comes from ``git config user.name/user.email``.
See :mod:`reviewkit.report.mailreply` for the layout.
"""

from __future__ import annotations

from reviewkit.report import Result
from reviewkit.report.mailreply import build_reply

FORMAT = "reply"


def render(result: Result) -> str:
    if result.series is None:
        return ""
    return build_reply(result.series, result.findings)
