"""The LKML reply: threading headers, faithful quotes, the comment under the line it is about."""

from __future__ import annotations

import email
import email.policy
import functools
import os
import re
from pathlib import Path

import pytest
from gitrepo import git, make_repo, run_cli

from reviewkit.fixes.diff import fix_from_diff
from reviewkit.load import coverage as coverage_mod
from reviewkit.load.series import Series, load
from reviewkit.model import Finding, Severity
from reviewkit.report.mailreply import (
    PLACEHOLDER_SENDER,
    TRIM,
    ReplyOptions,
    attribution,
    build_reply,
    default_comment,
)
from reviewkit.review.pipeline import review

ME = "Rita Reviewer <rita@example.org>"
EVERYTHING = ReplyOptions(severity=Severity.INFO)
"""Every finding gets a comment under its lines (nits included)."""
GOLDEN = Path(__file__).parent / "data" / "reply"


@functools.cache
def _seed(path: Path) -> tuple[Series, list[Finding]]:
    series = load(str(path))
    return series, review(series).findings


def _parse(text: str) -> email.message.EmailMessage:
    msg = email.message_from_string(text, policy=email.policy.default)
    assert not msg.defects
    return msg  # type: ignore[return-value]


def _body(msg: email.message.EmailMessage) -> list[str]:
    return msg.get_content().split("\n")


def _quoted_rows(patch_text: str) -> set[str]:
    return {line for line in patch_text.split("\n")}


def test_seed_reply_threads_under_the_patch(seed_mbox: Path) -> None:
    series, findings = _seed(seed_mbox)
    assert findings
    msg = _parse(build_reply(series, findings, sender=ME))
    patch = series.patches[0]
    assert msg["Subject"] == "Re: [PATCH v3 7/7] mm: switch deferred split shrinker to list_lru"
    assert msg["In-Reply-To"] == "<20260318200000.7-hannes@cmpxchg.org>"
    assert "<20260318200000.7-hannes@cmpxchg.org>" in msg["References"]
    assert msg["To"] == "Johannes Weiner <hannes@cmpxchg.org>"
    assert msg["From"] == ME
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = _body(msg)
    assert body[0] == "On Wed, Mar 18, 2026 at 07:53:25PM +0000, Johannes Weiner wrote:" == attribution(patch)
    original = _quoted_rows(patch.commit_message + "\n" + patch.diff_text)
    quotes = [ln for ln in body if ln.startswith(">")]
    for q in quotes:  # every quote is a line of the patch, nothing invented
        assert q[2:] in original or (q == ">" and ("" in original or " " in original))
    assert TRIM in body


def test_each_comment_sits_under_its_line(seed_mbox: Path) -> None:
    series, findings = _seed(seed_mbox)
    body = _body(_parse(build_reply(series, findings, sender=ME, options=EVERYTHING)))
    for f in findings:
        comment = default_comment(f)
        at = next(i for i in range(len(body)) if body[i : i + len(comment)] == comment)
        assert body[at - 1] == ""
        last_quote = body[at - 2]
        assert last_quote.startswith(">"), f"{f.rule} at {f.line}: comment not under a quote"
        code = last_quote[3:] if len(last_quote) > 2 else ""
        assert code in f.snippet.split("\n"), f"{f.rule} at {f.line}: quoted {last_quote!r}"


def test_comments_override_and_drop(seed_mbox: Path) -> None:
    series, findings = _seed(seed_mbox)
    keep, *rest = findings
    comments = {keep.fingerprint: "Why not fold this into the previous hunk?"}
    comments |= {f.fingerprint: "" for f in rest}
    text = build_reply(series, findings, comments=comments, sender=ME, options=EVERYTHING)
    body = _body(_parse(text))
    assert "Why not fold this into the previous hunk?" in body
    for f in rest:
        assert " ".join(f.message.split())[1:30] not in " ".join(body)
    assert build_reply(series, findings, comments={f.fingerprint: "" for f in findings}, sender=ME) == ""


def _two_patch_series(tmp_path: Path) -> Series:
    repo = make_repo(tmp_path / "linux")
    git(
        repo,
        "format-patch",
        "-q",
        "-2",
        "--thread",
        "-o",
        str(tmp_path / "out"),
        "--to=widget-list@example.org",
        "--cc=maint@example.org",
    )
    return load(str(tmp_path / "out"))


def _on(series: Series, position: int, line: int) -> Finding:
    patch = series.patches[position]
    return Finding(
        "demo-rule",
        Severity.WARNING,
        f"look at line {line}",
        "drivers/misc/widget.c",
        line,
        patch=position,
        patch_index=patch.index,
        patch_subject=patch.subject.title,
        fix=fix_from_diff(
            "Swap it", "--- a/drivers/misc/widget.c\n+++ b/drivers/misc/widget.c\n@@ -1,1 +1,1 @@\n-x\n+y\n"
        ),
    )


def test_multi_patch_series_gives_one_reply_per_patch(tmp_path: Path) -> None:
    series = _two_patch_series(tmp_path)
    findings = [_on(series, 0, 5), _on(series, 1, 16)]
    text = build_reply(series, findings, sender=ME)
    parts = re.split(r"(?m)^From reviewkit Mon Sep 17 00:00:00 2001\n", text)
    assert parts[0] == "" and len(parts) == 3
    for part, patch in zip(parts[1:], series.patches, strict=True):
        msg = _parse(part)
        assert msg["In-Reply-To"] == patch.message_id
        assert msg["Subject"] == "Re: " + patch.subject.raw
        assert "widget-list@example.org" in msg["Cc"] and "maint@example.org" in msg["Cc"]
        assert "rita@example.org" not in msg["Cc"]  # the author is in To, the sender never in Cc
    one = _parse(build_reply(series, findings, patch=1, sender=ME))
    assert one["In-Reply-To"] == series.patches[1].message_id
    assert "Something like this (untested)?" in _body(one)


def test_sender_from_git_config_or_placeholder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    series = _two_patch_series(tmp_path)
    finding = _on(series, 1, 16)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.chdir(tmp_path / "linux")
    assert _parse(build_reply(series, [finding]))["From"] == ME
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert _parse(build_reply(series, [finding]))["From"] == PLACEHOLDER_SENDER


def test_cli_reply_is_the_shared_text(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "linux")
    git(repo, "format-patch", "-q", "-1", "-o", str(tmp_path / "out"))
    [patch] = sorted((tmp_path / "out").glob("*.patch"))
    proc = run_cli("check", str(patch), "--format", "reply", cwd=repo)
    assert proc.returncode in (0, 1) and proc.stderr == b""
    series = load(str(patch))
    assert proc.stdout.decode() == build_reply(series, review(series).findings, sender=ME)
    assert "[whitespace-noise]" not in proc.stdout.decode()  # a reviewer's words, not tool output


def test_thread_engine_reads_the_reply_back(seed_mbox: Path, tmp_path: Path) -> None:
    """Appended to the thread, each comment of the reply lands on the line of its finding."""
    thread = pytest.importorskip("reviewkit.load.thread")
    series, findings = _seed(seed_mbox)
    reply = build_reply(series, findings, sender=ME, options=EVERYTHING)
    mbox = tmp_path / "thread.mbox"
    mbox.write_bytes(
        seed_mbox.read_bytes().rstrip(b"\n") + b"\n\nFrom reviewkit Mon Sep 17 00:00:00 2001\n" + reply.encode()
    )
    threaded = load(str(mbox))
    mine = [c for c in thread.comments(threaded) if "rita@example.org" in c.author]
    mine = [c for c in mine if c.text.strip() != TRIM]  # a trim marker is not a comment
    assert len(mine) == len(findings)
    for c, f in zip(mine, findings, strict=True):
        assert coverage_mod.covers(f, c), f"{f.rule} at {f.line}: the thread engine placed the comment elsewhere"


def test_reply_to_the_seed_thread_is_the_golden_file(thread_mbox: Path) -> None:
    """Read as Johannes would: only what the thread has not said yet, plain text, short enough to send.

    Regenerate with REVIEWKIT_UPDATE_GOLDEN=1 and read the diff before committing it.
    """
    series, findings = _seed(thread_mbox)
    text = build_reply(series, findings, sender=ME)
    golden = GOLDEN / "seed-thread.eml"
    if os.environ.get("REVIEWKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8")
    body = _body(_parse(text))
    assert len(body) <= 40
    assert "`" not in text and "Maybe something like this on top" not in text
    for phrase in ("is not in view", "is false", "The path:", "[whitespace-noise]"):
        assert phrase not in text


def test_points_the_thread_made_are_left_out_or_credited(thread_mbox: Path) -> None:
    series, findings = _seed(thread_mbox)
    default = " ".join(_body(_parse(build_reply(series, findings, sender=ME))))
    assert "runs before shrinker_free" not in default  # Lorenzo asked, the author said he would re-order
    assert "one-letter local" not in default  # Lorenzo's naming nit, answered by the author
    credited = build_reply(series, findings, sender=ME, options=ReplyOptions(raised="mention"))
    assert "As Lorenzo Stoakes said, list_lru_destroy(&deferred_split_lru) runs before" in " ".join(
        _body(_parse(credited))
    )


def test_nits_are_grouped_at_the_end_or_left_out(seed_mbox: Path) -> None:
    series, findings = _seed(seed_mbox)
    nits = [f for f in findings if f.severity == Severity.INFO]
    assert nits
    body = _body(_parse(build_reply(series, findings, sender=ME)))
    at = body.index("Nits:")
    assert not any(ln.startswith(">") for ln in body[at:])
    assert sum(1 for ln in body[at:] if ln.startswith("- ")) == len(nits)
    omitted = _body(_parse(build_reply(series, findings, sender=ME, options=ReplyOptions(nits="omit"))))
    assert "Nits:" not in omitted and len(omitted) < len(body)


def test_cli_reply_severity(seed_mbox: Path, tmp_path: Path) -> None:
    everything = run_cli("check", str(seed_mbox), "--format", "reply", "--reply-severity", "info", cwd=tmp_path)
    default = run_cli("check", str(seed_mbox), "--format", "reply", cwd=tmp_path)
    assert "Nits:" in default.stdout.decode() and "Nits:" not in everything.stdout.decode()
    bad = run_cli("check", str(seed_mbox), "--format", "reply", "--reply-severity", "loud", cwd=tmp_path)
    assert bad.returncode == 2 and b"--reply-severity" in bad.stderr and b"Traceback" not in bad.stderr


def test_short_identifier_rationale_does_not_single_out_l() -> None:
    from reviewkit.engine.run import discover

    doc = next(r.doc for r in discover() if r.id == "short-identifier")
    assert "`l` in particular" not in doc


def test_readme_states_the_reply_options_and_what_the_seed_reply_holds(thread_mbox: Path) -> None:
    """The README's reply section names every --reply-* option of check with its choices, and the
    lengths it gives for the seed thread's reply are the lengths the reply has."""
    import argparse

    from reviewkit.cli import build_parser

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme.split("### The review as an LKML reply", 1)[1].split("\n### ", 1)[0]
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    options = [a for a in sub.choices["check"]._actions if a.dest.startswith("reply_")]
    assert {o for a in options for o in a.option_strings} == {"--reply-severity", "--reply-nits", "--reply-raised"}
    for action in options:
        assert f"`{action.option_strings[0]} " in section, action.option_strings[0]
        for choice in action.choices or ():
            assert choice in section, (action.option_strings[0], choice)
    series, findings = _seed(thread_mbox)
    for options_, what in [
        (ReplyOptions(), "the default reply"),
        (ReplyOptions(raised="mention"), "--reply-raised mention"),
        (ReplyOptions(severity=Severity.ERROR), "--reply-severity error"),
    ]:
        lines = build_reply(series, findings, sender=ME, options=options_).count("\n")
        assert f"{lines} lines" in section, f"{what}: {lines} lines"
    assert f"other {len(findings) - 1} of the {len(findings)} findings" in section
