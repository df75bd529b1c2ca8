"""The dispatcher's GetClip adapter: endpoint caching, idle minutes, throttling backoff, windows split in parts."""
from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from kvs_test_support import make_mp4_bytes
from moto import mock_aws

from videoalert.aws.kvs import CLIP_BYTES_BUDGET, KvsClipSource
from videoalert.domain.errors import MediaUnreadable, UnknownStream

STREAM = "videoalert-cam1"
ENDPOINT = "https://b-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com"
T0 = datetime(2025, 11, 23, 19, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
ONE_MS = timedelta(milliseconds=1)


@pytest.fixture(scope="module")
def mp4_parts() -> list[bytes]:
    """Three distinct real MP4 clips, as GetClip would return them."""
    return [make_mp4_bytes(seconds) for seconds in (1.0, 1.5, 2.0)]


class Clients:
    def __init__(self):
        self.kvs = boto3.client("kinesisvideo", region_name="us-east-1")
        self.media = boto3.client("kinesis-video-archived-media", region_name="us-east-1", endpoint_url=ENDPOINT)
        self.kvs_stub, self.media_stub = Stubber(self.kvs), Stubber(self.media)
        self.factory_calls: list[str] = []
        self.sleeps: list[float] = []

    def factory(self, endpoint_url: str):
        self.factory_calls.append(endpoint_url)
        return self.media

    def source(self, **kwargs) -> KvsClipSource:
        return KvsClipSource(self.kvs, archived_media_client_factory=self.factory, sleep=self.sleeps.append, **kwargs)

    def endpoint(self, api_name: str, stream: str = STREAM):
        self.kvs_stub.add_response("get_data_endpoint", {"DataEndpoint": ENDPOINT},
                                   {"StreamName": stream, "APIName": api_name})

    def fragments(self, timestamps, sizes=None, start=T0, end=T1, next_token=None, origin="PRODUCER_TIMESTAMP",
                  token_in=None):
        sizes = sizes or [400_000] * len(timestamps)
        response = {"Fragments": [
            {"FragmentNumber": f"9134385233318{i:08d}", "FragmentSizeInBytes": size, "ProducerTimestamp": ts,
             "ServerTimestamp": ts + timedelta(seconds=1), "FragmentLengthInMilliseconds": 2000}
            for i, (ts, size) in enumerate(zip(timestamps, sizes, strict=True))]}
        if next_token:
            response["NextToken"] = next_token
        expected = ({"StreamName": STREAM, "NextToken": token_in} if token_in else
                    {"StreamName": STREAM, "FragmentSelector": {"FragmentSelectorType": origin, "TimestampRange": {
                        "StartTimestamp": start, "EndTimestamp": end - ONE_MS}}})
        self.media_stub.add_response("list_fragments", response, expected)

    def clip(self, payload: bytes, start, end_inclusive, origin="PRODUCER_TIMESTAMP"):
        self.media_stub.add_response(
            "get_clip",
            {"ContentType": "video/mp4", "Payload": StreamingBody(io.BytesIO(payload), len(payload))},
            {"StreamName": STREAM, "ClipFragmentSelector": {"FragmentSelectorType": origin, "TimestampRange": {
                "StartTimestamp": start, "EndTimestamp": end_inclusive}}},
        )

    def __enter__(self):
        self.kvs_stub.activate()
        self.media_stub.activate()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.kvs_stub.assert_no_pending_responses()
            self.media_stub.assert_no_pending_responses()


def every(seconds: float, count: int, start=T0) -> list[datetime]:
    return [start + timedelta(seconds=seconds * i) for i in range(count)]


def test_two_windows_of_one_stream_ask_for_the_data_endpoints_once(mp4_parts):
    # Given a stream with 2 s fragments in two consecutive minutes
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(every(2, 30))
        c.endpoint("GET_CLIP")
        c.clip(mp4_parts[0], T0, T1 - ONE_MS)
        c.fragments(every(2, 30, T1), start=T1, end=T1 + timedelta(minutes=1))
        c.clip(mp4_parts[1], T1, T1 + timedelta(minutes=1) - ONE_MS)
        source = c.source()
        # When both windows are fetched
        first = source.fetch_clip(STREAM, T0, T1)
        second = source.fetch_clip(STREAM, T1, T1 + timedelta(minutes=1))
    # Then each window is the MP4 GetClip returned, the end excluded (GetClip's end is inclusive)
    assert first == [mp4_parts[0]] and second == [mp4_parts[1]]
    # And GetDataEndpoint ran once per API for the stream (the stubber holds no other responses)
    assert c.factory_calls == [ENDPOINT]


def test_a_minute_with_no_fragments_is_idle_not_an_error():
    # Given a stream whose camera sent nothing in the window
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments([])
        # When the window is fetched, Then the answer is no parts (and GetClip is never called)
        assert c.source().fetch_clip(STREAM, T0, T1) == []


def test_fragments_that_vanish_before_getclip_are_also_an_idle_minute():
    # Given ListFragments saw fragments but GetClip answers "No fragments found" (eventual consistency)
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(every(2, 30))
        c.endpoint("GET_CLIP")
        c.media_stub.add_client_error("get_clip", "ResourceNotFoundException",
                                      "No fragments found in the stream for the clip request.", 404)
        # When fetched, Then it is an idle minute rather than a failure
        assert c.source().fetch_clip(STREAM, T0, T1) == []


def test_throttling_is_retried_with_full_jitter_backoff(mp4_parts):
    # Given GetClip throttled twice with ClientLimitExceededException, then answering
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(every(2, 30))
        c.endpoint("GET_CLIP")
        for _ in range(2):
            c.media_stub.add_client_error("get_clip", "ClientLimitExceededException", "Slow down", 400)
        c.clip(mp4_parts[0], T0, T1 - ONE_MS)
        # When the window is fetched
        clips = c.source(rng=random.Random(7).random, base_delay_s=0.5, max_delay_s=8).fetch_clip(STREAM, T0, T1)
    # Then the clip arrives after two waits, each a random share of the doubling cap (0.5 s, then 1 s)
    assert clips == [mp4_parts[0]]
    assert len(c.sleeps) == 2
    assert 0 <= c.sleeps[0] < 0.5 and 0 <= c.sleeps[1] < 1.0
    assert c.sleeps[0] not in (0.0, 0.5) and c.sleeps[1] not in (0.0, 1.0)  # jittered, not fixed steps


def test_throttling_that_never_ends_gives_up_after_max_attempts():
    # Given ListFragments throttled on every call
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        for _ in range(3):
            c.media_stub.add_client_error("list_fragments", "ClientLimitExceededException", "Slow down", 400)
        # When fetched with 3 attempts, Then the throttling error surfaces (the dispatcher records a failure
        # and keeps its cursor, so the minute is retried on the next run)
        with pytest.raises(Exception, match="ClientLimitExceededException"):
            c.source(max_attempts=3).fetch_clip(STREAM, T0, T1)
    assert len(c.sleeps) == 2


def test_a_window_over_200_fragments_is_fetched_in_parts(mp4_parts):
    # Given a minute of 450 fragments (0.125 s each), listed over three pages
    stamps = [T0 + timedelta(milliseconds=125 * i) for i in range(450)]
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(stamps[:200], next_token="page-2")
        c.fragments(stamps[200:400], next_token="page-3", token_in="page-2")
        c.fragments(stamps[400:], token_in="page-3")
        c.endpoint("GET_CLIP")
        # Then GetClip is asked for three ranges that cover the window and each fragment exactly once
        c.clip(mp4_parts[0], T0, stamps[200] - ONE_MS)
        c.clip(mp4_parts[1], stamps[200], stamps[400] - ONE_MS)
        c.clip(mp4_parts[2], stamps[400], T1 - ONE_MS)
        # When the window is fetched
        parts = c.source().fetch_clip(STREAM, T0, T1)
    # And the parts come back in time order
    assert parts == mp4_parts


def test_a_window_over_the_size_limit_is_fetched_in_parts(mp4_parts):
    # Given 30 fragments of 4 MB each: 120 MB, over GetClip's 100 MB
    stamps = every(2, 30)
    size = 4 * 1024 * 1024
    per_part = CLIP_BYTES_BUDGET // size
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(stamps, sizes=[size] * 30)
        c.endpoint("GET_CLIP")
        c.clip(mp4_parts[0], T0, stamps[per_part] - ONE_MS)
        c.clip(mp4_parts[1], stamps[per_part], T1 - ONE_MS)
        # When fetched, Then two parts, split where the byte budget is reached
        assert c.source().fetch_clip(STREAM, T0, T1) == mp4_parts[:2]


def test_a_part_holding_a_single_fragment_still_spans_a_non_empty_range():
    # Given 201 fragments: the last part holds one fragment, at the very end of the window
    from videoalert.aws.kvs import FragmentInfo, plan_parts

    stamps = every(0.25, 200) + [T1 - ONE_MS]
    parts = plan_parts([FragmentInfo(ts, 1000) for ts in stamps], T0, T1)
    # When planned, Then two parts, each ending after it starts, the lone fragment inside the second
    assert parts == [(T0, T1 - 2 * ONE_MS), (T1 - 2 * ONE_MS, T1 - ONE_MS)]
    assert all(a < b for a, b in parts)


def test_server_timestamps_can_be_selected_instead_of_producer_timestamps(mp4_parts):
    # Given a source configured for server-side time
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(every(2, 30), origin="SERVER_TIMESTAMP")
        c.endpoint("GET_CLIP")
        c.clip(mp4_parts[0], T0, T1 - ONE_MS, origin="SERVER_TIMESTAMP")
        # When fetched, Then both calls select by SERVER_TIMESTAMP (checked by the stubber's expected params)
        assert c.source(timestamp_origin="SERVER_TIMESTAMP").fetch_clip(STREAM, T0, T1) == [mp4_parts[0]]


def test_media_kvs_cannot_package_is_a_distinct_error():
    # Given fragments without codec private data
    with Clients() as c:
        c.endpoint("LIST_FRAGMENTS")
        c.fragments(every(2, 30))
        c.endpoint("GET_CLIP")
        c.media_stub.add_client_error("get_clip", "MissingCodecPrivateDataException", "No codec private data", 400)
        # When fetched, Then the error says the media is unreadable (not retried, not an idle minute)
        with pytest.raises(MediaUnreadable, match="videoalert-cam1"):
            c.source().fetch_clip(STREAM, T0, T1)
    assert c.sleeps == []


def test_unknown_stream_on_moto_control_plane_raises_unknown_stream():
    # Given moto's KVS control plane with one stream
    with mock_aws():
        kvs = boto3.client("kinesisvideo", region_name="us-east-1")
        kvs.create_stream(StreamName=STREAM, DataRetentionInHours=24)
        asked = []
        source = KvsClipSource(kvs, archived_media_client_factory=lambda url: asked.append(url) or None)
        # When a window of a stream that does not exist is fetched, Then UnknownStream names it
        with pytest.raises(UnknownStream, match="videoalert-nope"):
            source.fetch_clip("videoalert-nope", T0, T1)
        assert asked == []
        # And for the stream that exists, moto's GetDataEndpoint answer is what the media client is built for
        source._media_client(STREAM, "GET_CLIP")
        assert asked and asked[0].startswith("http")
