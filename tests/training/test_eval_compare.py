"""A retrained model's make eval report against the release's: figure by figure, within a stated tolerance."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from videoalert_training.eval_compare import compare, main

REPO = Path(__file__).resolve().parents[2]
RELEASE_REPORT = REPO / "models" / "reports" / "eval_real.json"


@pytest.fixture
def release() -> dict:
    return json.loads(RELEASE_REPORT.read_text())


def rows_by_name(rows):
    return {r.figure: r for r in rows}


def test_the_release_gives_back_its_own_figures(release):
    rows = compare(release, copy.deepcopy(release))
    assert rows and all(r.passed for r in rows)
    # every headline figure and every shared video is compared
    assert "empty-scene clips alerting" in rows_by_name(rows) and "clips/human_01.mp4" in rows_by_name(rows)


def test_a_candidate_within_the_tolerance_or_better_passes_and_one_worse_beyond_it_does_not(release):
    candidate = copy.deepcopy(release)
    # Given a candidate 0.02 worse on empty-scene clips, much better on recall over 25 %, 0.05 worse on INRIA crops
    candidate["no_person_scenes_total"]["alert_rate"]["rate"] += 0.02
    candidate["person_boxed_total"]["recall_by_tallest_person"]["over_25pct"]["rate"] = 0.99
    candidate["person_crops"]["person/inria_96x160"]["recall"]["rate"] -= 0.05
    rows = rows_by_name(compare(release, candidate, tolerance=0.03))
    # Then the first two pass (within 0.03; better) and the third does not
    assert rows["empty-scene clips alerting"].passed
    assert rows["person frames found, over 25 %"].passed
    assert not rows["INRIA crops found"].passed


def test_a_video_decided_otherwise_fails(release, tmp_path, capsys):
    candidate = copy.deepcopy(release)
    video = next(v for v in candidate["videos"] if v["video"] == "clips/human_01.mp4")
    video["decision"] = "NO_ALERT"
    old, new = tmp_path / "release.json", tmp_path / "candidate.json"
    old.write_text(json.dumps(release))
    new.write_text(json.dumps(candidate))
    # When compared from the command line, Then it exits 1 and names what was not given back
    assert main([str(old), str(new)]) == 1
    assert "not: clips/human_01.mp4" in capsys.readouterr().out


def test_reports_of_different_evaluations_are_refused(release, tmp_path, capsys):
    candidate = copy.deepcopy(release)
    candidate["regions"] = "full"
    with pytest.raises(ValueError, match="different evaluations"):
        compare(release, candidate)
    old, new = tmp_path / "release.json", tmp_path / "candidate.json"
    old.write_text(json.dumps(release))
    new.write_text(json.dumps(candidate))
    assert main([str(old), str(new)]) == 2 and capsys.readouterr().err.startswith("error: ")
