"""Which settled fragments a segment run scores, and how a segment's frames join its minute (domain.segments)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from videoalert.domain.embeddings import FrameEmbedding
from videoalert.domain.segments import FragmentInfo, by_minute, fragment_ms, keep_top, open_since, shifted, uncovered
from videoalert_contract.inference import FrameScore

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def at(seconds: float) -> FragmentInfo:
    return FragmentInfo(T0 + timedelta(seconds=seconds), 100)


def test_a_run_scores_only_minutes_that_have_not_settled_and_never_before_the_cursor():
    # Given the settle lag of 12 s: at 10:01:05 the minute 10:00 has not settled, at 10:01:13 it has
    assert open_since(T0, T0 + timedelta(seconds=65), 12) == T0
    assert open_since(T0, T0 + timedelta(seconds=73), 12) == T0 + timedelta(minutes=1)
    # And a cursor ahead of that (the minute was cut already) wins
    assert open_since(T0 + timedelta(minutes=1), T0 + timedelta(seconds=65), 12) == T0 + timedelta(minutes=1)
    assert open_since(None, T0 + timedelta(seconds=65), 12) == T0


def test_fragments_belong_to_the_minute_they_start_in_and_covered_ones_are_skipped():
    fragments = [at(56), at(58), at(60), at(62)]
    groups = by_minute(reversed(fragments))
    assert [(w.start, [f.timestamp.second for f in g]) for w, g in groups] == [
        (T0, [56, 58]), (T0 + timedelta(minutes=1), [0, 2])]
    assert uncovered(fragments, [fragment_ms(at(56)), fragment_ms(at(60))]) == [at(58), at(62)]


def test_segment_frames_move_onto_the_minute_timeline_and_the_minute_keeps_its_best_embeddings():
    frames = shifted([FrameScore(0.0, 0.2, "full"), FrameScore(1.0, 0.9, "full")], 20.0)
    assert [(f.t, f.score) for f in frames] == [(20.0, 0.2), (21.0, 0.9)]
    kept = (FrameEmbedding(3.0, 0.5, (1.0, 0.0)),)
    new = [FrameEmbedding(0.0, 0.9, (0.0, 1.0)), FrameEmbedding(1.0, 0.1, (1.0, 1.0))]
    top = keep_top(kept, new, 20.0, 2)
    assert [(e.t, e.score) for e in top] == [(20.0, 0.9), (3.0, 0.5)]
