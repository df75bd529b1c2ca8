"""Compact embeddings and the false-positive memory's matching rules (pure: no tables)."""
import math

import pytest

from fixtures.embeddings import vec
from videoalert.domain.embeddings import FrameEmbedding, cosine_distance, decode, encode
from videoalert.domain.memory import MemoryEntry, matching_entries, suppression
from videoalert.domain.types import Label
from videoalert_contract.inference import TopEmbedding


def entry(video_id, vector, i=0, kind=Label.FALSE_POSITIVE):
    return MemoryEntry("cam1", f"2026-11-23T10:00:00Z#{video_id}#{i:02d}", video_id, 1.0, 0.9, "full",
                       tuple(decode(encode(vector))), "2026-11-23T10:00:00Z", kind)


def test_float16_storage_keeps_cosine_distance_within_a_thousandth():
    a, b = vec(1), vec(2)
    text = encode(a)
    assert len(text) == 1368  # 512 x 2 bytes in base64
    assert cosine_distance(decode(text), decode(encode(b))) == pytest.approx(cosine_distance(a, b), abs=1e-3)
    assert cosine_distance(decode(text), a) < 1e-5


def test_the_inference_response_is_stored_compactly_and_read_back():
    stored = [
        FrameEmbedding.from_top(TopEmbedding.from_payload({"t": 3.0, "score": 0.91, "embedding": vec(3)})).to_item()
    ]
    assert set(stored[0]) == {"t", "score", "region", "embedding_f16"} and stored[0]["region"] == "full"
    back = FrameEmbedding.from_item(stored[0])
    assert back.t == 3.0 and cosine_distance(back.vector, vec(3)) < 1e-5


def test_a_zero_vector_matches_nothing():
    assert cosine_distance([0.0] * 4, [1.0, 0, 0, 0]) == 1.0


def test_a_clip_is_suppressed_only_when_every_detecting_frame_matches_memory():
    statue = vec(10)
    near_statue = [x + 0.05 * y for x, y in zip(statue, vec(11), strict=True)]  # same object, slightly different light
    person = vec(20)
    memory = [entry("cam1-fp", statue)]
    only_statue = [FrameEmbedding(5.0, 0.9, tuple(near_statue)), FrameEmbedding(6.0, 0.8, tuple(near_statue))]
    match = suppression(only_statue, memory, threshold=0.5, max_distance=0.15)
    assert match is not None and match.video_id == "cam1-fp" and match.distance < 0.01 and match.t == 5.0
    # A person in another detecting frame keeps the alert
    with_person = only_statue + [FrameEmbedding(30.0, 0.95, tuple(person))]
    assert suppression(with_person, memory, threshold=0.5, max_distance=0.15) is None
    # A low-scoring frame of the person (not a detection) does not count
    with_faint = only_statue + [FrameEmbedding(30.0, 0.2, tuple(person))]
    assert suppression(with_faint, memory, threshold=0.5, max_distance=0.15) is not None
    # Distance 0 turns the memory off
    assert suppression(only_statue, memory, threshold=0.5, max_distance=0.0) is None


def test_a_true_positive_removes_only_the_entries_it_matches():
    statue, dog = vec(10), vec(30)
    entries = [entry("fp-statue", statue), entry("fp-dog", dog)]
    removed = matching_entries([FrameEmbedding(1.0, 0.9, tuple(statue))], entries, max_distance=0.15)
    assert [e.video_id for e in removed] == ["fp-statue"]


def test_random_512_d_vectors_are_far_apart():
    # Why 0.15 is a safe default for unrelated frames: independent directions sit near distance 1
    d = cosine_distance(vec(1), vec(2))
    assert math.isclose(d, 1.0, abs_tol=0.2)


def test_a_detection_closer_to_a_confirmed_person_than_to_the_false_positive_is_not_suppressed():
    # Given a remembered false positive and a confirmed person on the same background (whole-frame embeddings
    # of one scene are close, so the person is within the memory's distance too)
    background = vec(40)
    statue = [x + 0.02 * y for x, y in zip(background, vec(41), strict=True)]
    person = [x + 0.02 * y for x, y in zip(background, vec(42), strict=True)]
    person_again = [x + 0.005 * y for x, y in zip(person, vec(43), strict=True)]
    memory = [entry("fp", statue), entry("tp", person, kind="true_positive")]
    detection = [FrameEmbedding(1.0, 0.9, tuple(person_again))]
    # When the person comes back
    # Then the clip alerts, though it is within max_distance of the false positive
    assert cosine_distance(person_again, statue) < 0.15
    assert suppression(detection, memory, threshold=0.5, max_distance=0.15) is None
    # And without the confirmed person it would have been suppressed
    assert suppression(detection, memory[:1], threshold=0.5, max_distance=0.15) is not None
    # And a true-positive label only ever removes false-positive entries
    assert [e.video_id for e in matching_entries(detection, memory, max_distance=0.15)] == ["fp"]
