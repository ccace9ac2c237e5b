"""The manual: one Markdown source for ``reviewkit help`` and the man page ``docs/reviewkit.1``.

Prose sections live here; each command's synopsis and options come from
its argparse parser, so the manual cannot drift from what the command
accepts.  :func:`to_roff` turns the same Markdown into man(7) markup
(``reviewkit help --man``), which is how ``docs/reviewkit.1`` is made and
checked (tests/test_cli_help.py).
"""

from __future__ import annotations

import argparse
import re

from reviewkit import __version__

OVERVIEW = """\
reviewkit reviews Linux kernel C patch series the way an experienced
reviewer does: it reads a series (an mbox from `b4 am`, `git format-patch`
files, a directory of them, stdin, or a commit range), rebuilds the C
context of every hunk and reports what a reviewer would write, with the
line it is about and, where one is safe, a verified fix."""

TOPICS: dict[str, tuple[str, str]] = {
    "formats": (
        "Output formats",
        """\
`--format` (`-f`) chooses the report:

- `text`: the default; `FILE:LINE: SEVERITY: [rule] message`, then the patch, the code, the path and the fix.
- `checkpatch`: checkpatch.pl's blocks and `total:` line; `--terse` gives one line per finding.
- `b4-review`: the JSON array `b4 review` check commands read.
- `json`: the versioned report (a contract: fields are only added).
- `sarif`: SARIF 2.1.0 for code-scanning tools.
- `github`: GitHub Actions annotations, one line per finding.
- `rdjsonl`: reviewdog's JSON lines.
- `reply`: a plain-text reply to the series, in a reviewer's voice.

`--terse` prints one line per finding and nothing else in the line formats
(text, checkpatch, github). As in checkpatch, the checkpatch and b4-review
formats print info findings (CHECK) only with `--strict`.""",
    ),
    "suppress": (
        "Silencing a finding on one line",
        """\
A comment in the code, on the finding's line or alone on the line above it,
silences one rule there:

```
	spin_lock(&q->lock);	/* reviewkit: ignore lock-balance */

	// reviewkit: ignore short-identifier -- the datasheet's name
	struct widget_regs *r;
```

Several ids may be listed (commas or spaces); a reason may follow `--`.
Only lines of the code after the patch count (not the commit message, not
removed lines). `reviewkit scan` honours the same comments in whole files.
An id no rule has is a note on stderr, with the closest id (for `scan`, in
the files that have findings). The JSON report counts silenced findings in
`stats.suppressed`. For
findings to keep out of every run, `reviewkit baseline` records them in
`.reviewkit-baseline.json`, which `check` and `tui` read by default.""",
    ),
    "colour": (
        "Colour and pager",
        """\
On a terminal reviewkit colours severities, `file:line` and diff lines as
checkpatch.pl and git do, and pages long output as git does.

- `--color=WHEN`: `auto` (the default: colour on a terminal), `always`, `never`; a bare `--color` is `always`.
- `NO_COLOR`: when set and not empty, `auto` means no colour (https://no-color.org).
- `--no-pager` (`-P`), `--pager`: do not page, or page (the default on a terminal).

The pager is `REVIEWKIT_PAGER`, else `GIT_PAGER`, else `core.pager` from
your global git config (`~/.gitconfig`), else `PAGER`, else `less` with
`LESS=FRX`. It is run without a shell, and never when the output is a pipe
or a file. A repository's own `.git/config` is not read: reviewkit runs in
checkouts of code that came by mail, and nothing a repository names is
executed.""",
    ),
    "exit-status": (
        "Exit status",
        """\
- `0`: no finding at or above the `--fail-on` level (default: error).
- `1`: findings at or above that level.
- `2`: bad input or usage: one line on stderr, `reviewkit: error: ...`.""",
    ),
    "environment": (
        "Environment",
        """\
- `NO_COLOR`: no colour unless `--color=always`.
- `REVIEWKIT_PAGER`, `GIT_PAGER`, `PAGER`: the pager (see `reviewkit help colour`).
- `REVIEWKIT_DEBUG`: a traceback instead of the one-line internal error.""",
    ),
}
"""Topic name -> (section title, Markdown body)."""

ALIASES = {"color": "colour", "pager": "colour", "suppression": "suppress", "ignore": "suppress", "format": "formats"}


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from reviewkit.cli import build_parser

    top = build_parser()
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            return top, dict(action.choices)
    return top, {}


def _option_items(parser: argparse.ArgumentParser) -> list[str]:
    items = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS or "-h" in action.option_strings:
            continue
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            choices = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else None
            names += f" {action.metavar or choices or action.dest.upper()}"
        items.append(f"- `{names}`: {action.help or ''}")
    return items


def command_markdown(name: str, parser: argparse.ArgumentParser) -> str:
    """One command's section: what it does (its module doc), synopsis and options (its parser)."""
    import textwrap

    usage = textwrap.fill(
        " ".join(parser.format_usage().removeprefix("usage: ").split()),
        76,
        subsequent_indent="    ",
        break_on_hyphens=False,
    )
    description = (parser.description or "").strip()
    parts = [f"### reviewkit {name}", f"```\n{usage}\n```", description]
    options = _option_items(parser)
    if options:
        parts.append("\n".join(options))
    epilog = getattr(parser, "epilog_text", lambda: parser.epilog)()
    if epilog:  # a table (the tui's keys): kept as it is printed
        parts.append(f"```\n{epilog.rstrip()}\n```")
    return "\n\n".join(p for p in parts if p)


def manual() -> str:
    """The whole manual, in Markdown."""
    _top, commands = _parsers()
    parts = [
        "# reviewkit(1)",
        f"## Name\n\nreviewkit {__version__} - review Linux kernel C patch series",
        "## Synopsis\n\n```\nreviewkit [--version] [--color=WHEN] [--no-pager] COMMAND [ARGS]\n"
        "reviewkit help [TOPIC | COMMAND]\n```",
        "## Description\n\n" + OVERVIEW,
        "## Commands\n\n" + "\n\n".join(command_markdown(n, p) for n, p in commands.items()),
    ]
    parts += [f"## {title}\n\n{body}" for title, body in TOPICS.values()]
    parts.append(
        "## See also\n\n`reviewkit rules` lists the rules; `reviewkit explain RULE` documents one. "
        "git(1), b4(5), scripts/checkpatch.pl in the kernel tree."
    )
    return "\n\n".join(parts) + "\n"


def topic(name: str) -> str | None:
    """One topic or command, in Markdown; None when there is no such topic."""
    name = ALIASES.get(name, name)
    if name in TOPICS:
        title, body = TOPICS[name]
        return f"## {title}\n\n{body}\n"
    _top, commands = _parsers()
    if name in commands:
        return command_markdown(name, commands[name]) + "\n"
    return None


def topic_names() -> list[str]:
    _top, commands = _parsers()
    return sorted([*TOPICS, *ALIASES, *commands])


# --------------------------------------------------------------------------
# Markdown -> man(7)

_INLINE = [
    (re.compile(r"`([^`]+)`"), r"\\fB\1\\fR"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"\\fB\1\\fR"),
]


def _roff_text(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text


def _roff_line(text: str) -> str:
    """A text line that cannot be read as a request (leading ``.`` or ``'``)."""
    return "\\&" + text if text.startswith((".", "'")) else text


def to_roff(markdown: str) -> str:
    """man(7) markup for the Markdown subset the manual uses (headings, paragraphs, lists, code)."""
    out = [f'.TH REVIEWKIT 1 "" "reviewkit {__version__}" "reviewkit manual"']
    in_code = False
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(".PP")
            out.extend(_roff_line(_roff_text(p)) for p in paragraph)
            paragraph.clear()

    for line in markdown.split("\n"):
        if line.startswith("```"):
            flush()
            out.append(".nf\n.RS 4" if not in_code else ".RE\n.fi")
            in_code = not in_code
        elif in_code:
            out.append(_roff_line(line.replace("\\", "\\e").replace("-", "\\-").replace("\t", "        ")))
        elif line.startswith("# "):
            continue
        elif line.startswith("## "):
            flush()
            out.append(f".SH {_roff_text(line[3:].upper())}")
        elif line.startswith("### "):
            flush()
            out.append(f".SS {_roff_text(line[4:])}")
        elif line.startswith("- "):
            flush()
            term, sep, rest = line[2:].partition(": ")
            if sep and term.startswith("`") and term.endswith("`"):
                out += [".TP", _roff_text(term), _roff_line(_roff_text(rest))]
            else:
                out += [".IP \\(bu 2", _roff_line(_roff_text(line[2:]))]
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    return "\n".join(out) + "\n"
