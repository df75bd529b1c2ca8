"""Both halves over the wire: `videoalert push` into the local KVS stand-in, then KvsClipSource with real boto3."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from kvs_test_support import decoded_frames

from videoalert.aws import kvs as kvs_adapter
from videoalert.aws.kvs import KvsClipSource
from videoalert.domain.errors import UnknownStream
from videoalert_cli.local_kvs import LocalKvsEndpoint
from videoalert_cli.main import main

T0 = datetime(2025, 11, 23, 19, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def push(endpoint: LocalKvsEndpoint, clip: str, start: datetime) -> int:
    return main(["push", "cam1", clip, "--endpoint-url", endpoint.url, "--region", "us-east-1", "--no-progress",
                 "--start", start.isoformat()])


def clip_source(endpoint: LocalKvsEndpoint) -> KvsClipSource:
    kvs = boto3.client("kinesisvideo", region_name="us-east-1", endpoint_url=endpoint.url)
    return KvsClipSource(kvs, sleep=lambda s: None)


def test_a_pushed_clip_comes_back_from_its_minute_window_as_mp4(h264_clip):
    # Given a 6 s clip pushed with producer time 19:00:10
    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        assert push(endpoint, h264_clip, T0 + timedelta(seconds=10)) == 0
        source = clip_source(endpoint)
        # When the dispatcher fetches the 19:00 minute and the one after
        parts = source.fetch_clip("videoalert-cam1", T0, T0 + MINUTE)
        later = source.fetch_clip("videoalert-cam1", T0 + MINUTE, T0 + 2 * MINUTE)

    # Then the 19:00 minute is one MP4 holding every frame, identical to the source's, and 19:01 is idle
    assert len(parts) == 1 and parts[0][4:8] == b"ftyp"
    frames, source_frames = decoded_frames(parts[0]), decoded_frames(h264_clip)
    assert len(frames) == len(source_frames) == 60
    assert all((a == b).all() for a, b in zip(frames, source_frames, strict=True))
    assert later == []


def test_a_window_over_the_fragment_limit_comes_back_in_parts_covering_every_frame(h264_clip, monkeypatch):
    # Given GetClip limited to one fragment per call (so the 3 fragments of the clip need 3 parts)
    monkeypatch.setattr(kvs_adapter, "MAX_CLIP_FRAGMENTS", 1)
    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        assert push(endpoint, h264_clip, T0 + timedelta(seconds=10)) == 0
        # When the minute is fetched
        parts = clip_source(endpoint).fetch_clip("videoalert-cam1", T0, T0 + MINUTE)
    # Then three MP4 parts in time order, 20 frames each, together the whole clip
    assert [len(decoded_frames(p)) for p in parts] == [20, 20, 20]
    joined = [f for p in parts for f in decoded_frames(p)]
    assert all((a == b).all() for a, b in zip(joined, decoded_frames(h264_clip), strict=True))


def test_minute_boundaries_follow_producer_time(h264_clip):
    # Given a 6 s clip (fragments at +0, +2, +4 s) pushed to start 4 s before 19:01
    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        assert push(endpoint, h264_clip, T0 + MINUTE - timedelta(seconds=4)) == 0
        source = clip_source(endpoint)
        # When both minutes are fetched
        first = source.fetch_clip("videoalert-cam1", T0, T0 + MINUTE)
        second = source.fetch_clip("videoalert-cam1", T0 + MINUTE, T0 + 2 * MINUTE)
    # Then the fragments starting before 19:01 are in the first minute and the one at 19:01:00 in the second
    assert [len(decoded_frames(p)) for p in first] == [40]
    assert [len(decoded_frames(p)) for p in second] == [20]


def test_unknown_stream_over_the_wire():
    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint, pytest.raises(UnknownStream):
        clip_source(endpoint).fetch_clip("videoalert-cam2", T0, T0 + MINUTE)
