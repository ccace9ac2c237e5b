"""What goes into a review reply, and in whose voice.

A reply a maintainer sends as is reads like a person wrote it: one short
comment per point under the lines it is about, plain text (no markdown
backticks), no line numbers the quote already shows, no "The path:" dumps,
nits at the end, and nothing the thread has already said.  This module
decides that; :mod:`reviewkit.report.mailreply` lays it out.

- :func:`comment_text`: the finding's message turned into a reviewer's
  sentence (backticks and "at NNN" dropped), plus a suggested diff for
  errors and warnings ("Something like this?");
- :func:`nit_line`: the one line a nit gets in the "Nits" list;
- :func:`raised_in_thread`: findings whose point a reply in the thread
  already made (same function and kind of problem, see
  :mod:`reviewkit.load.coverage`) and who made it; a nit-level point
  raised once in a patch counts for its other sites in that patch too
  (the author answered the pattern), an error or warning only for itself.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from reviewkit.load.series import Series
from reviewkit.model import Finding, Severity

WRAP = 72
_AT_LINE_RE = re.compile(r"\s+(?:at|on) (?:line )?\d+(?=[\s,.:;)]|$)")
_LINES_RE = re.compile(r"\s+\(lines? [\d, -]+\)")
_LINE_PAIR_RE = re.compile(r"(\blines) \d+ and \d+\b")


def plain(text: str) -> str:
    """Markdown stripped: backticks go, the words stay."""
    return " ".join(text.replace("``", "").replace("`", "").split())


def sentence(message: str) -> str:
    """The finding's message as a sentence a reviewer writes under the quote."""
    text = _LINE_PAIR_RE.sub(r"\1", _LINES_RE.sub("", _AT_LINE_RE.sub("", plain(message))))
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        WRAP,
        initial_indent=first or indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def comment_text(f: Finding, *, fix: bool = True, lead: str = "") -> list[str]:
    """The comment under the quoted lines of ``f`` (``lead``: "As Lorenzo said," before it)."""
    said = sentence(f.message)
    if lead:
        first = said.split(" ", 1)[0]
        said = f"{lead} {said[0].lower() + said[1:] if first.isalpha() and first.istitle() else said}"
    out = wrap(said)
    if fix and f.fix is not None and _worth_showing(f):
        ask = "Something like this?" if f.fix.verified else "Something like this (untested)?"
        out += ["", ask, "", *f.fix.diff.rstrip("\n").split("\n")]
    return out


def _worth_showing(f: Finding) -> bool:
    """A suggested diff for an error or warning, unless it only deletes lines (the sentence says it)."""
    if f.fix is None or not f.fix.diff.strip() or f.severity == Severity.INFO:
        return False
    return f.severity == Severity.ERROR or any(
        ln.startswith("+") and not ln.startswith("+++") for ln in f.fix.diff.split("\n")
    )


def nit_line(f: Finding) -> list[str]:
    where = f"{f.file}:{f.line}" if f.file != "COMMIT_MSG" else "changelog"
    return wrap(sentence(f.message), indent="  ", first=f"- {where}: ")


def raised_in_thread(series: Series | None, findings: Iterable[Finding]) -> dict[str, str]:
    """fingerprint -> who in the thread already made the point of that finding."""
    if series is None or not series.replies:
        return {}
    from reviewkit.engine.registry import rule_topics
    from reviewkit.load.coverage import why_covered
    from reviewkit.load.thread import comments

    found = comments(series)
    topics = rule_topics()
    out: dict[str, str] = {}
    pattern: dict[tuple[int | None, str], str] = {}
    pending = []
    for f in findings:
        who = next((c.author_name for c in found if why_covered(f, c, topics) is not None), None)
        if who is not None:
            out[f.fingerprint] = who
            pattern.setdefault((f.patch, f.rule), who)
        else:
            pending.append(f)
    for f in pending:
        if f.severity == Severity.INFO and (f.patch, f.rule) in pattern:
            out[f.fingerprint] = pattern[(f.patch, f.rule)]
    return out
