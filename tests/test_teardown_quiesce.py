"""teardown-order stays quiet, and counts why, when a live callback can no longer touch the freed object.

The fixture fixtures/teardown-order/quiesced-callbacks.c marks each case;
here the stats counters that say why a hit was not reported are asserted,
so a quiet case is never silent about itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES

FIXTURE = FIXTURES / "teardown-order" / "quiesced-callbacks.c"


def _scan() -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewkit",
            "scan",
            str(FIXTURE),
            "--rule",
            "teardown-order",
            "--no-cache",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_each_quiet_case_is_counted_by_its_reason() -> None:
    report = _scan()
    stats = report["stats"]
    assert isinstance(stats, dict)
    # peer_release's key: reached only by the timer callback calling peer_release() itself
    assert stats.get("teardown_order_reached_by_teardown") == 1
    # radio_remove (flag set first), pudc_remove (enable register masked by the stop op the core calls)
    assert stats.get("teardown_order_gated") == 2
    # codec_remove and codec_remove_stopped: unshared IRQ, clock stopped on the path
    assert stats.get("teardown_order_device_off") == 2


def test_the_callbacks_that_can_still_run_are_reported() -> None:
    report = _scan()
    findings = report["findings"]
    assert isinstance(findings, list)
    names = sorted({f["function"] for f in findings})
    assert names == [
        "codec_remove_restarted",
        "codec_remove_running",
        "peer_release",
        "pudc_remove_early",
        "radio_remove_early",
        "radio_remove_scan",
        "tap_remove",
    ]
