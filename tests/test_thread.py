"""Thread awareness: reviewers' quoted lines mapped back to the patch, comments extracted, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from reviewkit.cli import main
from reviewkit.load import coverage as coverage_mod
from reviewkit.load import thread
from reviewkit.load.series import load
from reviewkit.model import Finding, Severity


def _find(comments: list[thread.Comment], author: str, text: str) -> thread.Comment:
    return next(c for c in comments if author in c.author and text in c.text)


def test_seed_thread_comments_land_on_the_quoted_lines(thread_mbox: Path) -> None:
    series = load(str(thread_mbox))
    assert len(series.replies) == 13
    found = thread.comments(series)
    nit = _find(found, "Lorenzo", "hate single letter variable names")
    assert (nit.file, nit.line, nit.is_review) == ("mm/huge_memory.c", 3764, True)
    assert nit.message_id == "<seedthread.9@example.invalid>" and nit.date
    teardown = _find(found, "Lorenzo", "before the shrinker is freed")
    assert teardown.file == "mm/huge_memory.c" and 952 in {t.post_line for t in teardown.focus}
    split = _find(found, "Lorenzo", "separating out this")
    assert (split.file, split.line) == ("mm/memory.c", 5179)
    chain = _find(found, "Lorenzo", "there's no such function")
    assert (chain.file, chain.line, chain.on_changelog) == ("COMMIT_MSG", 15, True)


def test_seed_thread_mail_client_reindent_and_nesting(thread_mbox: Path) -> None:
    """Kairui's client turned tabs into spaces; Johannes answers under a two-deep quote."""
    found = thread.comments(load(str(thread_mbox)))
    kairui = _find(found, "Kairui", "fallback to the next order")
    assert kairui.file == "mm/memory.c" and {4661, 4664} <= {t.post_line for t in kairui.focus}
    assert kairui.is_review
    answer = _find(found, "Johannes", "I would be surprised if that mattered")
    assert answer.file == "mm/memory.c" and answer.depth == 2
    assert answer.by_patch_author and not answer.is_review


def test_seed_thread_tags_and_crash_reports_are_not_code_comments(thread_mbox: Path) -> None:
    found = thread.comments(load(str(thread_mbox)))
    ack = _find(found, "Shakeel", "Acked-by")
    assert ack.is_tag and not ack.is_review
    crash = _find(found, "Zaslonko", "reproducible panic")
    assert not crash.on_code and not crash.is_review


def test_seed_thread_every_reply_is_shown(thread_mbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All 13 replies: the crash report and its answers, the drop from mm.git, the Acked-by, David's note."""
    series = load(str(thread_mbox))
    found = thread.comments(series)
    assert {c.message_id for c in found} == {r.message_id for r in series.replies}
    assert main(["thread", str(thread_mbox), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len({c["message_id"] for c in doc["comments"]}) == 13
    assert main(["thread", str(thread_mbox)]) == 0
    out = capsys.readouterr().out
    assert "13 of 13 replies shown" in out
    for who, text in [("Andrew Morton", "remove this version"), ("Shakeel Butt", "Acked-by"), ("Vasily", "x86")]:
        assert any(who in ln and text in ln for ln in out.splitlines()), (who, text)


def test_crash_report_sits_next_to_the_function_it_names(thread_mbox: Path) -> None:
    """The trace's innermost frame the patch changes is alloc_charge_folio(), on its call of the frame above."""
    series = load(str(thread_mbox))
    found = thread.comments(series)
    crash = _find(found, "Zaslonko", "reproducible panic")
    assert (crash.placed, crash.file, crash.function) == ("names", "mm/khugepaged.c", "alloc_charge_folio")
    patch = series.patches[0]
    line = next(
        dl for pf in patch.patchset if pf.path == crash.file for h in pf for dl in h if dl.target_line_no == crash.line
    )
    assert "folio_memcg_list_lru_alloc(" in line.value
    # the maintainer's answers and the confirmations sit with the report, as replies to it
    for who, text in [
        ("Johannes", "cgroup_disable=memory"),
        ("Zaslonko", "resolves the issue"),
        ("Andrew", "remove this version"),
        ("Gorbik", "fixes it for me"),
    ]:
        c = _find(found, who, text)
        assert (c.file, c.line, c.placed) == (crash.file, crash.line, "answer"), (who, c.placed)
        assert c.answers


def test_coverage_needs_the_same_point_not_the_same_lines(thread_mbox: Path) -> None:
    """The huge zero folio comment is near a memcg-guard finding but is another point: not covered."""
    from reviewkit.engine.registry import rule_topics

    series = load(str(thread_mbox))
    found = thread.comments(series)
    zero = _find(found, "Lorenzo", "huge zero folio")
    guard = Finding(
        "list-lru-memcg-guard", Severity.ERROR, "m", zero.file or "", zero.line or 0, patch=0, function=zero.function
    )
    assert not coverage_mod.covers(guard, zero, rule_topics())
    nit = _find(found, "Lorenzo", "hate single letter variable names")
    same = Finding("short-identifier", Severity.INFO, "m", "mm/huge_memory.c", 3764, patch=0, function=nit.function)
    other_fn = Finding("short-identifier", Severity.INFO, "m", "mm/huge_memory.c", 3764, patch=0, function="elsewhere")
    assert coverage_mod.covers(same, nit, rule_topics()) and not coverage_mod.covers(other_fn, nit, rule_topics())


def test_top_posted_and_quote_less_replies_are_comments(tmp_path: Path) -> None:
    from _threads import two_versions

    series = load(str(two_versions(tmp_path)))
    found = thread.comments(series)
    top = _find(found, "Pat", "frees what it allocated")
    assert top.placed in ("answer", "names") and top.function == "gadget_probe"
    tested = _find(found, "Theo", "Ran it on my board")
    assert tested.placed == "patch" and tested.patch == 1
    acked = _find(found, "Mara", "For the series")
    assert acked.placed == "cover" and acked.patch is None


def _thread_mbox(tmp_path: Path) -> Path:
    patch = (FIXTURES / "short-identifier" / "new-locals.patch").read_text()
    decl = next(ln[1:].strip() for ln in patch.splitlines() if "struct gadget_queue *q;" in ln)
    patch = patch.replace("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n", "")
    patch = patch.replace("Subject: [PATCH]", "Message-Id: <p1@example.org>\nSubject: [PATCH]")
    reply = (
        "From: Rev Iewer <rev@example.org>\nDate: Tue, 3 Mar 2026 10:00:00 +0000\n"
        "Subject: Re: [PATCH] gadget: batch pending requests per queue\n"
        "Message-Id: <r1@example.org>\nIn-Reply-To: <p1@example.org>\n\n"
        "On Mon, Test Author wrote:\n"
        "> +static unsigned int gadget_count_pending(struct gadget *g)\n"
        "> +{\n"
        f"> +    {decl}\n"
        "\nPlease give q a real name.\n\n"
        "> diff --git a/lib/other.c b/lib/other.c\n"
        "> +\tp = g->name;\n"
        "\nThis quotes another diff: not the patch.\n\n"
        "> @@ -40,11 +57,16 @@ static void gadget_reset(struct gadget *g)\n"
        ">  static int gadget_submit(struct gadget *g, struct gadget_req *req)\n"
        ">  {\n"
        ">  \tint ret;\n"
        "\nWhy int?\n\n-- \nRev\n"
    )
    answer = (
        "From: Test Author <author@example.org>\nDate: Tue, 3 Mar 2026 11:00:00 +0000\n"
        "Subject: Re: [PATCH] gadget: batch pending requests per queue\n"
        "Message-Id: <r2@example.org>\nIn-Reply-To: <r1@example.org>\n\n"
        f"> > +{{\n> > +\t{decl}\n> \n> Please give q a real name.\n\n"
        "Will do.\n"
    )
    path = tmp_path / "thread.mbox"
    sep = "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
    path.write_text(sep + patch + "\n" + sep + reply + "\n" + sep + answer)
    return path


def test_synthetic_thread_mapping(tmp_path: Path) -> None:
    series = load(str(_thread_mbox(tmp_path)))
    found = thread.comments(series)
    name = _find(found, "Rev", "real name")
    assert (name.file, name.line, name.is_review) == ("drivers/misc/gadget.c", 25, True)
    assert [t.post_line for t in name.focus] == [23, 24, 25]
    foreign = _find(found, "Rev", "another diff")
    assert foreign.focus == []
    why = _find(found, "Rev", "Why int?")
    assert (why.file, why.line) == ("drivers/misc/gadget.c", 59)  # `int ret;` of the second hunk
    assert "Rev" not in why.text  # the signature is cut
    will = _find(found, "Author", "Will do.")
    assert will.by_patch_author and not will.is_review and will.patch == 0
    assert not will.direct  # it answers the reviewer's text, not the patch line


def test_coverage_counts_reviewer_comments_on_code(tmp_path: Path) -> None:
    series = load(str(_thread_mbox(tmp_path)))
    found = thread.comments(series)
    hit = Finding("short-identifier", Severity.INFO, "m", "drivers/misc/gadget.c", 25, patch=0)
    elsewhere = Finding("other", Severity.INFO, "m", "drivers/misc/gadget.c", 40, patch=0)
    cov = coverage_mod.coverage(found, [hit, elsewhere])
    assert (cov.review_on_code, cov.covered_on_code) == (2, 1)
    assert cov.ratio == 0.5
    assert _find(found, "Rev", "real name").covered_by == ["short-identifier"]
    assert _find(found, "Rev", "Why int?").covered_by == []


def test_thread_command_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["thread", str(_thread_mbox(tmp_path)), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["coverage"]["review_comments_on_code"] == 2
    assert doc["coverage"]["covered_on_code"] == 1
    lines = {(c["file"], c["line"]): c for c in doc["comments"] if c["review"]}
    assert lines[("drivers/misc/gadget.c", 25)]["covered_by"] == ["short-identifier"]
    assert "same function gadget_count_pending()" in lines[("drivers/misc/gadget.c", 25)]["covered_how"][0]


def test_thread_command_text_on_seed(thread_mbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["thread", str(thread_mbox)]) == 0
    out = capsys.readouterr().out
    assert "mm/huge_memory.c:3764" in out and "[short-identifier]" in out
    assert out.strip().splitlines()[-1].startswith("coverage: ")


def test_thread_command_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.mbox"
    bad.write_text("")
    assert main(["thread", str(bad)]) == 2
    assert "error" in capsys.readouterr().err


def test_comments_are_placed_once_per_series_and_each_caller_gets_its_own(thread_mbox: Path) -> None:
    """A session asks for the comments per patch, for the reply and for coverage: placed once, kept
    while the series holds the same messages; coverage() writes on them, so each call gets copies."""
    series = load(str(thread_mbox))
    first = thread.comments(series)
    first[0].covered_by = ["changed-by-a-caller"]
    again = thread.comments(series)
    assert [(c.author, c.text, c.placed) for c in again] == [(c.author, c.text, c.placed) for c in first]
    assert again[0].covered_by != ["changed-by-a-caller"] and again[0] is not first[0]
    fresh = load(str(thread_mbox))
    fresh.replies = fresh.replies[:1]
    assert len(thread.comments(fresh)) < len(first), "another series (other messages): its own comments"
    series.replies = series.replies[:1]
    assert len(thread.comments(series)) == len(thread.comments(fresh)), "the same series, other messages: again"
