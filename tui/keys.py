"""The keys of the review session, as one table: ``?`` help draws it, ``reviewkit tui --help`` prints it.

Data only (no Textual, no rich): the command line builds its help from this
table without loading the interface, so the two cannot drift, and a test
checks that every binding of the app and the diff view is in it.
"""

from __future__ import annotations

import textwrap

KEYS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Navigate",
        [
            ("j / k", "next / previous line (tree, table: row)", "same"),
            ("n / p, ] / [", "next / previous patch", "same"),
            (". / ,", "next / previous finding (across patches)", "next / previous comment"),
            ("space / backspace", "page down / up", "same"),
            ("g / G", "top / bottom of the patch", "-"),
            ("h / l", "scroll left / right", "same"),
            ("tab / shift+tab", "focus: tree, diff, findings, finding details", "same"),
            ("enter", "open the tree node under the cursor", "same"),
            ("/", "search the diff (enter on an empty prompt: the next match)", "-"),
        ],
    ),
    (
        "Patch (as in b4 review)",
        [
            ("d", "mark the patch done (again: undecided)", "done"),
            ("x", "mark the patch skipped", "skip"),
            ("f", "show / hide the thread's follow-ups on the lines", "follow-ups"),
            ("c", "go to the checks (the findings table)", "checks"),
            ("r", "the reply to this patch: preview, edit, save", "reply"),
        ],
    ),
    (
        "Finding (reviewkit's own keys, unbound in b4 review)",
        [
            ("y", "accept the fix shown in the diff (unsafe ones ask twice)", "-"),
            ("z", "dismiss with a reason (./.reviewkit-baseline.json)", "-"),
            ("u", "undo the last accept or dismiss", "-"),
            ("i", "explain: rationale, the review it comes from, replies", "unbound; e is email mode"),
            ("m", "put the finding in / out of the reply", "-"),
        ],
    ),
    (
        "Session",
        [
            ("w", "write the next version with the accepted fixes", "-"),
            ("ctrl+b, < / >", "hide the tree, narrower / wider tree", "-"),
            ("?", "this help", "same"),
            ("q", "quit (asks once if accepted fixes are not written)", "quit"),
        ],
    ),
]
"""Group title -> (keys, what they do in reviewkit, what they do in b4 review: ``same`` or ``-`` for unbound)."""


def keys_text(width: int = 79) -> str:
    """The table as plain text for ``--help`` and the manual: ``(= b4)`` marks a key b4 review binds
    the same way, ``b4 review:`` says what b4 does with a key reviewkit uses differently."""
    lines = ["Keys (? in the session shows the same table):"]
    for title, keys in KEYS:
        lines += ["", title]
        for key, what, b4 in keys:
            wrapped = textwrap.wrap(what + (" (= b4)" if b4 == "same" else ""), width - 22) or [""]
            if b4 not in ("same", "-"):
                wrapped += textwrap.wrap(f"b4 review: {b4}", width - 24, subsequent_indent="  ")
            lines.append(f"  {key:<18}  {wrapped[0]}")
            lines += [" " * 22 + more for more in wrapped[1:]]
    return "\n".join(lines)
