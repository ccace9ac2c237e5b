"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=mm/memory.c,line=4662,endLine=4663,title=lock-balance::message``;
warnings are ``::warning``, infos ``::notice``.  Escaping is the Actions
toolkit's: in the message ``%``, CR and LF become ``%25``, ``%0D``, ``%0A``;
in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``, so a
path or rule id can never end the property list early.  Paths are relative
to the repository root, as a checkout of the series has them.
"""

from __future__ import annotations

from reviewkit.model import Finding
from reviewkit.report import Result
from reviewkit.report.text import escape_controls

FORMAT = "github"
TERSE = True
"""One line per finding already; ``--terse`` changes nothing."""
_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return escape_controls(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    props = [f"file={escape_property(f.file)}", f"line={max(f.line, 1)}"]
    span = len(f.snippet.split("\n")) if f.snippet else 1
    if span > 1:
        props.append(f"endLine={max(f.line, 1) + span - 1}")
    props.append(f"title={escape_property(f.rule)}")
    message = f.message
    if f.fix is not None and f.fix.title:
        message += f"\nSuggested fix: {f.fix.title}"
    return f"::{_COMMAND[f.severity.value]} {','.join(props)}::{escape_data(message)}"


def render(result: Result) -> str:
    return "".join(annotation(f) + "\n" for f in result.findings)
