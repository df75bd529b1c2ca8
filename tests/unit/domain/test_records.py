"""The typed videos record: the stored item reads back as itself, and what a decision writes."""
from __future__ import annotations

from datetime import UTC, datetime

from videoalert.domain.embeddings import FrameEmbedding, encode
from videoalert.domain.memory import MemoryMatch
from videoalert.domain.records import Decided, VideoRecord
from videoalert.domain.rule import Rule
from videoalert.domain.types import Decision, Label, Source, Status
from videoalert_contract.inference import FrameScore

DONE_ITEM = {
    "video_id": "cam1-20261123T100000Z", "camera_id": "cam1", "source": "stream",
    "window_start": "2026-11-23T10:00:00Z", "window_end": "2026-11-23T10:01:00Z", "status": "DONE",
    "size_bytes": 1234, "parts": 1, "s3_bucket": "vb", "s3_key": "videos/cam1/2026/11/23/x.mp4", "more_keys": [],
    "attempts": 1, "decision": "SUPPRESSED", "rule_decision": "ALERT", "decision_reason": "matches",
    "threshold": 0.9, "model_threshold": 0.9, "region": "full", "max_score": 0.95, "deciding_score": 0.93,
    "frames_over_threshold": 2, "rule": {"min_frames": 2, "aggregate": "max", "top_k": 3, "cooldown_s": 300,
                                         "max_event_s": 1800, "fp_distance": 0.01, "enabled": True, "version": 1,
                                         "regions": "full"},
    "rule_version": 1, "model_version": "m1",
    "frame_scores": [{"t": 0.0, "score": 0.95, "region": "full"},
                     {"t": 1.0, "score": 0.93, "region": "motion", "box": [0.1, 0.2, 0.3, 0.4]}],
    "top_embeddings": [{"t": 0.0, "score": 0.95, "region": "full", "embedding_f16": encode([1.0, 0.5])}],
    "video_info": {"width": 640}, "timings_ms": {"decode": 10.0},
    "suppressed_by": {"video_id": "old", "entry_id": "e", "distance": 0.004, "t": 0.0},
    "label": "false_positive", "label_tags": ["statue"], "labelled_by": "alice", "labelled_at": "2026-11-23T11:00:00Z",
    "label_history": [{"label": "false_positive", "tags": ["statue"], "by": "alice", "at": "2026-11-23T11:00:00Z"}],
    "created_at": "2026-11-23T10:02:05Z", "updated_at": "2026-11-23T10:02:07Z", "expires_at": 1766484125,
    "a_later_feature": {"kept": True},
}


def test_a_stored_item_reads_as_a_typed_record_and_back_unchanged():
    record = VideoRecord.from_item(DONE_ITEM)
    assert record.status == Status.DONE and record.decision == Decision.SUPPRESSED
    assert record.label == Label.FALSE_POSITIVE
    assert record.source == Source.STREAM and record.window_start == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert record.suppressed_by == MemoryMatch("old", "e", 0.004, 0.0)
    assert record.frame_scores[1].box == (0.1, 0.2, 0.3, 0.4)
    assert record.to_item() == DONE_ITEM  # enums as text, times as ISO text, unknown attributes kept


def test_a_new_record_holds_only_what_it_was_given():
    start = datetime(2026, 11, 23, 10, tzinfo=UTC)
    rejected = VideoRecord("cam1-x", "cam1", Source.STREAM, start, start, Status.REJECTED, reason="MEDIA_UNREADABLE")
    assert set(rejected.to_item()) == {"video_id", "camera_id", "source", "window_start", "window_end", "status",
                                       "reason"}


def test_a_decision_removes_the_failure_reason_and_writes_its_evidence_only_when_there_is_some():
    decided = Decided(decision=Decision.ALERT, rule_decision=Decision.ALERT, decision_reason="2 of 3",
                      threshold=0.9, model_threshold=0.9, region="full", max_score=0.95, deciding_score=0.92,
                      frames_over_threshold=2, rule=Rule(), model_version="m1",
                      frame_scores=(FrameScore(0.0, 0.95),), top_embeddings=(), video_info=None, timings_ms=None,
                      event_start=datetime(2026, 11, 23, 10, tzinfo=UTC))
    fields = decided.fields()
    assert fields["reason"] is None and fields["reason_detail"] is None and fields["top_embeddings"] is None
    assert fields["decision"] == "ALERT" and fields["event_start"] == "2026-11-23T10:00:00Z"
    assert "threshold" not in fields["rule"] and "suppressed_by" not in fields and "cooldown_of" not in fields
    assert fields["frame_scores"] == [{"t": 0.0, "score": 0.95, "region": "full"}]


def test_stored_embeddings_are_the_form_matching_uses():
    stored = FrameEmbedding.from_item(DONE_ITEM["top_embeddings"][0])
    assert stored.vector == (1.0, 0.5) and stored.to_item() == DONE_ITEM["top_embeddings"][0]
