"""The one "introduced by this series" decision (reviewkit.views.introduced), as rules see it."""

from __future__ import annotations

from reviewkit.config import Config
from reviewkit.views.context import ReviewContext
from reviewkit.views.introduced import Introduced


def test_scan_implies_everything() -> None:
    """A scan has no series: nothing can be "pre-existing", so the decision reports all it sees."""
    ctx = ReviewContext(None, [], Config(), scan=True)
    assert ctx.report_all and ctx.introduced.everything and not ctx.introduced.changed_only


def test_keyed_comparison_drops_what_the_pre_image_had_and_is_lazy() -> None:
    calls = []

    def before() -> list[str]:
        calls.append(1)
        return ["old"]

    found = [("old", "f1"), ("new", "f2")]
    assert Introduced(False).new(found, before) == [("new", "f2")]
    assert Introduced(True).new(found, before) == found
    assert Introduced(False).new([], before) == []
    assert calls == [1], "the pre-image is analysed only when there is a post-image finding to compare"


def test_existed_counts_only_when_reporting_what_is_new() -> None:
    assert Introduced(False).existed(True) and not Introduced(True).existed(True)
    assert not Introduced(False).existed(False)
