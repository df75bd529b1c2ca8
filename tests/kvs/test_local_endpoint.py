"""Both halves over the wire: `videoalert push` into the local KVS stand-in, then KvsClipSource with real boto3."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.credentials import Credentials
from kvs_test_support import decoded_frames

from videoalert.aws import kvs as kvs_adapter
from videoalert.aws.kvs import KvsClipSource
from videoalert.domain.errors import UnknownStream
from videoalert_cli.main import main
from videoalert_local.kvs import LocalKvsEndpoint

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


def test_a_stream_that_starts_mid_minute_gives_the_clip_its_own_start(h264_clip):
    # Given a camera whose stream starts 10 s into the 19:00 minute (pushed with `videoalert push`)
    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        assert push(endpoint, h264_clip, T0 + timedelta(seconds=10)) == 0
        # When the dispatcher cuts the minute
        parts = clip_source(endpoint).fetch_clip("videoalert-cam1", T0, T0 + MINUTE)
    # Then the clip's timeline starts at its first fragment, not at the window: frame times count from 19:00:10
    assert parts.starts_at == T0 + timedelta(seconds=10)


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


# --- the stand-in itself: signatures, control plane, paging, the service's errors -------------------------

CREDENTIALS = Credentials("testing", "testing", "testing")


def test_a_push_signed_with_other_credentials_is_refused_and_stores_nothing(h264_clip, monkeypatch, capsys):
    # Given a stand-in that checks signatures against the local credentials
    with LocalKvsEndpoint(["videoalert-cam1"], credentials=CREDENTIALS) as endpoint:
        # When a push is signed with another secret key
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-local-secret")
        code = push(endpoint, h264_clip, T0)
        # Then it fails with one line naming the refusal, and nothing was stored
        stored = endpoint.streams["videoalert-cam1"].fragments
    assert code == 1 and stored == []
    assert "signature mismatch" in capsys.readouterr().err


def test_a_correctly_signed_push_is_stored(h264_clip):
    with LocalKvsEndpoint(["videoalert-cam1"], credentials=CREDENTIALS) as endpoint:
        assert push(endpoint, h264_clip, T0) == 0
        assert len(endpoint.streams["videoalert-cam1"].fragments) == 3


def test_streams_are_created_and_described_through_the_control_plane():
    from botocore.exceptions import ClientError

    with LocalKvsEndpoint(credentials=CREDENTIALS) as endpoint:
        kvs = boto3.client("kinesisvideo", region_name="us-east-1", endpoint_url=endpoint.url)
        # Given a stream created as the stack creates one
        arn = kvs.create_stream(StreamName="videoalert-cam9", DataRetentionInHours=24)["StreamARN"]
        # When it is described, created again, and an unknown one's data endpoint is asked for
        info = kvs.describe_stream(StreamName="videoalert-cam9")["StreamInfo"]
        with pytest.raises(ClientError) as again:
            kvs.create_stream(StreamName="videoalert-cam9")
        with pytest.raises(ClientError) as unknown:
            kvs.get_data_endpoint(StreamName="videoalert-nope", APIName="GET_CLIP")
        endpoint_url = kvs.get_data_endpoint(StreamARN=arn, APIName="GET_CLIP")["DataEndpoint"]
    # Then the answers are the service's shapes and error codes
    assert info["StreamARN"] == arn and info["Status"] == "ACTIVE" and info["DataRetentionInHours"] == 24
    assert again.value.response["Error"]["Code"] == "ResourceInUseException"
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert endpoint_url == endpoint.url


def test_list_fragments_pages_with_next_token_and_get_clip_refuses_an_empty_range(h264_clip):
    from botocore.exceptions import ClientError

    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        assert push(endpoint, h264_clip, T0) == 0
        media = boto3.client("kinesis-video-archived-media", region_name="us-east-1", endpoint_url=endpoint.url)
        selector = {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
                    "TimestampRange": {"StartTimestamp": T0, "EndTimestamp": T0 + MINUTE}}
        # When the three fragments are listed two at a time
        first = media.list_fragments(StreamName="videoalert-cam1", FragmentSelector=selector, MaxResults=2)
        second = media.list_fragments(StreamName="videoalert-cam1", NextToken=first["NextToken"], MaxResults=2)
        # and a clip is asked for with its end at its start
        with pytest.raises(ClientError) as empty_range:
            media.get_clip(StreamName="videoalert-cam1", ClipFragmentSelector={
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": T0, "EndTimestamp": T0}})
    # Then the pages hold 2 then 1 fragments in producer time, and the range is refused as the service does
    stamps = [f["ProducerTimestamp"] for f in first["Fragments"] + second["Fragments"]]
    assert [len(first["Fragments"]), len(second["Fragments"])] == [2, 1] and "NextToken" not in second
    assert stamps == [T0, T0 + timedelta(seconds=2), T0 + timedelta(seconds=4)]
    assert empty_range.value.response["Error"]["Code"] == "InvalidArgumentException"


def _session(endpoint: LocalKvsEndpoint):
    from videoalert_cli.kvs.putmedia import PutMediaSession

    return PutMediaSession(endpoint=endpoint.url, stream_name="videoalert-cam1", credentials=CREDENTIALS,
                           region="us-east-1", producer_start_ms=T0_MS, timeout_s=10)


T0_MS = int(T0.timestamp() * 1000)


def _frames(start_ms: int, seconds: float, fps: int = 10) -> list:
    from videoalert_cli.kvs import ebml

    return [ebml.Frame(start_ms + round(i * 1000 / fps), i == 0, b"\x00\x00\x00\x01\x65") for i in
            range(int(seconds * fps))]


@pytest.mark.parametrize("fragments,error", [
    ([(T0_MS, 12.0)], "4002 MAX_FRAGMENT_DURATION_REACHED"),
    ([(T0_MS + 4000, 2.0), (T0_MS, 2.0)], "4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"),
])
def test_put_media_acknowledges_a_fragment_the_service_refuses_with_its_error(fragments, error):
    from videoalert_cli.kvs import ebml
    from videoalert_cli.kvs.putmedia import PutMediaError

    header = ebml.stream_header(ebml.VideoTrack(b"\x01\x64\x00\x1e\xff\xe1\x00\x00\x01\x00\x00", 64, 48))
    with LocalKvsEndpoint(["videoalert-cam1"], credentials=CREDENTIALS) as endpoint:
        # Given a PutMedia session
        session = _session(endpoint)
        session.open()
        # When it sends a fragment longer than 10 s, or one earlier than the one before
        session.send(header)
        for start, seconds in fragments:
            session.send_fragment(type("F", (), {"data": ebml.cluster(_frames(start, seconds))})())
        # Then the session ends with the service's ERROR acknowledgement and only good fragments are stored
        with pytest.raises(PutMediaError) as failure:
            session.finish()
        stored = len(endpoint.streams["videoalert-cam1"].fragments)
    assert error in str(failure.value)
    assert stored == len(fragments) - 1


def test_put_media_of_something_that_is_not_matroska_is_acknowledged_4006():
    from videoalert_cli.kvs.putmedia import PutMediaError

    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        session = _session(endpoint)
        session.open()
        session.send(b"this is not an EBML header" * 4)
        with pytest.raises(PutMediaError, match="4006 INVALID_MKV_DATA"):
            session.finish()


def test_get_clip_of_a_stream_that_is_not_h264_is_unreadable_media_for_the_dispatcher():
    from videoalert.domain.errors import MediaUnreadable
    from videoalert_cli.kvs import ebml

    with LocalKvsEndpoint(["videoalert-cam1"]) as endpoint:
        # Given a stream whose track is declared H.265
        header = ebml.stream_header(ebml.VideoTrack(b"\x01", 64, 48, codec_id="V_MPEGH/ISO/HEVC"))
        endpoint.store(endpoint.streams["videoalert-cam1"], header, ebml.cluster(_frames(T0_MS, 1.0)), T0_MS, 900)
        # When the dispatcher's source fetches its minute, Then GetClip's media error reaches it as MediaUnreadable
        with pytest.raises(MediaUnreadable, match="UnsupportedStreamMediaTypeException"):
            clip_source(endpoint).fetch_clip("videoalert-cam1", T0, T0 + MINUTE)
