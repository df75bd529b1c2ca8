"""A record's stage timings add up to its total: the stages, plus time in no stage, minus time counted twice."""
from __future__ import annotations

import pytest

from videoalert.domain.timings import STAGES, reconcile


def _sum(t: dict) -> float:
    return sum(t.get(s, 0.0) for s in STAGES) + t["other"] - t["overlap"]


def test_stages_on_parallel_threads_exceeding_the_total_are_balanced_by_their_overlap():
    # Given the inference function's timings of a pipelined clip: inference alone exceeds the wall total
    timings = {"download": 12.3, "decode": 1800.4, "preprocess": 300.0, "inference": 3170.2, "total": 2533.0}
    # When reconciled
    result = reconcile(timings)
    # Then the overlap is what the stages count twice, nothing is unaccounted, and they add up to the total exactly
    assert result["overlap"] == pytest.approx(2749.9) and result["other"] == 0
    assert _sum(result) == pytest.approx(2533.0, abs=1e-6)
    assert {k: result[k] for k in timings} == timings  # the measured values are kept as they were


def test_time_in_no_stage_is_other():
    result = reconcile({"download": 5.0, "decode": 10.0, "inference": 20.0, "total": 50.0})
    assert (result["other"], result["overlap"]) == (15.0, 0)
    assert _sum(result) == pytest.approx(50.0)


@pytest.mark.parametrize("timings", [None, {}, {"decode": 1.0}, {"total": "n/a", "decode": 3.0}])
def test_timings_without_a_numeric_total_are_left_as_they_are(timings):
    assert reconcile(timings) == timings


def test_the_detectors_time_is_a_stage_of_its_own():
    # Given a detect-mode clip's timings, the detector's time summed over two scoring threads
    timings = {"download": 10.0, "decode": 800.0, "preprocess": 300.0, "detect": 1500.0, "inference": 200.0,
               "total": 1600.0}
    # When they are reconciled, Then the stages, the detector's included, add up to the total
    full = reconcile(timings)
    assert full is not None and full["overlap"] == 1210.0 and full["other"] == 0.0
    assert "detect" in STAGES

