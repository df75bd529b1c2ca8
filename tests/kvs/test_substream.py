"""Issue 34: an HD camera scored from its sub-stream. `videoalert push --sub-stream` sends a file and a small copy of it
into the local KVS stand-in; the camera worker (moto for S3, DynamoDB and SNS; the real inference handler with the
released models, in process) scores the sub-stream's clip, keeps the main stream's clip as the record's, cuts the alert
picture from the main stream, and scores the main stream when the sub-stream has nothing, saying why.

The video is a real one (a shopping street with people, ../shared/data/real/videos/example_01.mp4) made into a 1280x720
"main stream" with a keyframe every 2 s; its sub-stream is 320x180. The alert picture is at most 640 wide: cut from the
main stream it is 640x360, from the sub-stream it would be 320x180.
"""
from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import boto3
import pytest
from kvs_test_support import decoded_frames

from fixtures.media import CLIPS_DIR, REPO_MODELS
from videoalert.app import lifecycle
from videoalert.app.dependencies import Dependencies
from videoalert.aws.inference import InProcessInferenceClient
from videoalert.aws.kvs import KvsClipSource
from videoalert.aws.s3 import ClipStore
from videoalert.aws.sns import AlertPublisher
from videoalert.domain.ids import frame_key
from videoalert.store.cameras import CameraStore
from videoalert.store.videos import VideoRecords
from videoalert_cli.main import main
from videoalert_contract.names import stream_name, sub_stream_name
from videoalert_local.kvs import LocalKvsEndpoint

REAL_VIDEO = CLIPS_DIR.parent / "real" / "videos" / "example_01.mp4"
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
MAIN, SUB = stream_name("cam1"), sub_stream_name("cam1")


@pytest.fixture(scope="module")
def hd_video(tmp_path_factory) -> str:
    """The real video as an HD camera sends it: 1280x720, 10 fps, H.264 with a keyframe every 2 s."""
    if not REAL_VIDEO.exists():
        pytest.fail(f"the shared real videos are not at {REAL_VIDEO.parent}")
    path = tmp_path_factory.mktemp("hd") / "street_720p.mp4"
    with av.open(str(REAL_VIDEO)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.codec_context.options = {"x264-params": "keyint=20:min-keyint=20:scenecut=0:bframes=0"}
        for index, frame in enumerate(src.decode(video=0)):
            big = frame.reformat(width=1280, height=720, format="yuv420p")
            big.pts, big.time_base = index, Fraction(1, 10)
            out.mux(stream.encode(big))
        out.mux(stream.encode(None))
    return str(path)


def push(endpoint: LocalKvsEndpoint, video: str, *extra: str) -> int:
    return main(["push", "cam1", video, "--endpoint-url", endpoint.url, "--region", "us-east-1", "--no-progress",
                 "--start", (T0 + timedelta(seconds=5)).isoformat(), *extra])


@pytest.fixture
def worker(aws, monkeypatch):
    """The camera worker on moto and the KVS stand-in, with cam1 registered with its sub-stream; the inference
    function's requests are kept."""
    from videoalert_inference import handler as inference

    sess, res = aws
    monkeypatch.setenv("MODEL_DIR", str(REPO_MODELS))
    inference.reset_runtime()
    requests: list[dict] = []
    now = [T0 + timedelta(minutes=2)]

    def invoke(event, context=None):
        requests.append(event)
        return inference.handler(event, context)

    with LocalKvsEndpoint([MAIN, SUB]) as endpoint:
        kvs = boto3.client("kinesisvideo", region_name="us-east-1", endpoint_url=endpoint.url)
        ddb = sess.resource("dynamodb")
        deps = Dependencies(
            settings=res.settings(settle_seconds=10), records=VideoRecords(ddb.Table(res.videos_table)),
            cameras=CameraStore(ddb.Table(res.cameras_table)), clips=ClipStore(sess.client("s3"), res.video_bucket),
            inference=InProcessInferenceClient(invoke), alerts=AlertPublisher(sess.client("sns"), res.alert_topic_arn),
            clip_source=KvsClipSource(kvs, sleep=lambda s: None), clock=lambda: now[0])
        deps.cameras.advance_cursor("cam1", None, T0)
        deps.cameras.set_scoring_stream("cam1", SUB)
        deps.now = now  # type: ignore[attr-defined]  # the test moves the clock
        yield endpoint, deps, requests, sess, res
    inference.reset_runtime()


def run_minute(deps) -> dict:
    camera = deps.cameras.get("cam1")
    (outcome,) = [o for o in lifecycle.run_camera(deps, camera, T0 + timedelta(minutes=2)) if o.video_id]
    record = deps.records.table.get_item(Key={"video_id": outcome.video_id})["Item"]
    return record | {"metrics": outcome.metrics}


def jpeg_size(data: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


def video_objects(sess, bucket: str) -> list[str]:
    return [o["Key"] for o in sess.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_push_sends_the_file_and_a_small_copy_on_one_time_line(hd_video):
    # Given the stand-in with the camera's two streams
    with LocalKvsEndpoint([MAIN, SUB]) as endpoint:
        # When the HD file is pushed with --sub-stream (320 wide)
        assert push(endpoint, hd_video, "--sub-stream", "--sub-width", "320") == 0
        source = KvsClipSource(boto3.client("kinesisvideo", region_name="us-east-1", endpoint_url=endpoint.url))
        main_fragments = source.list_fragments(MAIN, T0, T0 + timedelta(minutes=1))
        sub_fragments = source.list_fragments(SUB, T0, T0 + timedelta(minutes=1))
        main_clip = source.fetch_clip(MAIN, T0, T0 + timedelta(minutes=1))
        sub_clip = source.fetch_clip(SUB, T0, T0 + timedelta(minutes=1))
    # Then both streams hold fragments at the same producer times, from 10:00:05
    assert [f.timestamp for f in sub_fragments] == [f.timestamp for f in main_fragments]
    assert main_fragments[0].timestamp == T0 + timedelta(seconds=5) and len(main_fragments) == 3
    # And the main stream is the file as it is, the sub-stream the same pictures at 320x180, frame for frame
    main_frames, sub_frames = decoded_frames(main_clip[0]), decoded_frames(sub_clip[0])
    assert main_frames[0].shape == (720, 1280, 3) and sub_frames[0].shape == (180, 320, 3)
    assert len(main_frames) == len(sub_frames) == len(decoded_frames(hd_video))


def test_the_worker_scores_the_sub_stream_keeps_the_main_clip_and_pictures_the_alert_from_it(worker, hd_video):
    endpoint, deps, requests, sess, res = worker
    # Given an HD camera with a sub-stream, its minute pushed into both streams
    assert push(endpoint, hd_video, "--sub-stream", "--sub-width", "320") == 0
    # When the worker cuts the settled minute
    record = run_minute(deps)
    # Then the minute alerts (people on a street), scored from the sub-stream's 320x180 clip
    assert record["status"] == "DONE" and record["decision"] == "ALERT"
    assert record["video_info"]["scored_stream"] == SUB and "sub_stream_fallback" not in record["video_info"]
    assert int(record["video_info"]["width"]) == 320 and "SubStreamFallbacks" not in record["metrics"]
    (request,) = requests
    assert request["key"] != record["s3_key"] and ".sub1-" in request["key"]
    # And the picture was asked of the main stream's clip, the record's own
    assert request["picture"]["keys"] == [record["s3_key"]]
    # And the record's clip in S3 is the main stream's, at 1280x720; the sub-stream's copy is gone
    clip = sess.client("s3").get_object(Bucket=res.video_bucket, Key=record["s3_key"])["Body"].read()
    assert decoded_frames(clip)[0].shape == (720, 1280, 3)
    assert not [k for k in video_objects(sess, res.video_bucket) if ".sub" in k]
    # And the alert picture was cut from the main stream's frame: 640x360, where the sub-stream's is 320x180
    picture = sess.client("s3").get_object(
        Bucket=res.video_bucket, Key=frame_key("cam1", T0, record["video_id"]))["Body"].read()
    assert jpeg_size(picture) == (640, 360)
    # And the picture's box is one of the scored boxes, as fractions of the frame (the same on both streams)
    best = [f for f in record["frame_scores"] if f.get("box")]
    assert best and all(0.0 <= float(v) <= 1.0 for f in best for v in f["box"])
    # And the alert went out once
    assert record.get("alert_message_id")


def test_a_sub_stream_without_fragments_falls_back_to_the_main_stream_and_says_why(worker, hd_video):
    endpoint, deps, requests, sess, res = worker
    # Given an HD camera registered with a sub-stream that has sent nothing (only the main stream was pushed)
    assert push(endpoint, hd_video) == 0
    # When the worker cuts the settled minute
    record = run_minute(deps)
    # Then the main stream was scored, once, with no picture source (it is the scored clip), and the record says why
    assert record["status"] == "DONE" and record["decision"] == "ALERT"
    assert record["video_info"]["scored_stream"] == "main"
    assert record["video_info"]["sub_stream_fallback"].startswith("SUB_STREAM_EMPTY")
    assert int(record["video_info"]["width"]) == 1280 and record["metrics"]["SubStreamFallbacks"] == 1
    (request,) = requests
    assert request["key"] == record["s3_key"] and "picture" not in request
    # And the cursor moved on: nothing is left for a retry, and a second run sends no second alert
    assert deps.cameras.get("cam1").cursor == T0 + timedelta(minutes=1)
    again = lifecycle.run_camera(deps, deps.cameras.get("cam1"), T0 + timedelta(minutes=2))
    assert not [o for o in again if o.video_id == record["video_id"]] and len(requests) == 1


def test_no_media_at_all_is_an_idle_minute_with_no_record(worker):
    _, deps, requests, sess, res = worker
    # Given a camera with a sub-stream that sent nothing on either stream
    camera = deps.cameras.get("cam1")
    # When the minute is cut
    outcomes = lifecycle.run_camera(deps, camera, T0 + timedelta(minutes=2))
    # Then it is idle (the main stream decides that), not a fallback, and nothing is scored
    assert [str(o.status) for o in outcomes] == ["IDLE"] and requests == []


def test_segments_score_the_sub_stream_as_it_settles_and_the_minute_keeps_the_main_clip(worker, hd_video):
    endpoint, deps, requests, sess, res = worker
    # Given the worker scoring segments as fragments settle (as deployed), and both streams pushed
    deps.settings = dataclasses.replace(deps.settings, segment_seconds=5)
    assert push(endpoint, hd_video, "--sub-stream", "--sub-width", "320") == 0
    # When it runs 20 s into the minute (every fragment is in; the minute has not settled)
    deps.now[0] = T0 + timedelta(seconds=20)
    early = lifecycle.run_camera(deps, deps.cameras.get("cam1"), deps.now[0])
    # Then the segment was scored from the sub-stream, the picture asked of the main stream's fragments, and the
    # alert went out early with a picture cut from the main stream
    assert [str(o.status) for o in early] == ["OPEN"] and early[0].metrics.get("EarlyAlerts") == 1
    (request,) = requests
    assert ".sub1-" in request["key"] and ".seg" in request["picture"]["keys"][0]
    video_id = early[0].video_id
    picture = sess.client("s3").get_object(
        Bucket=res.video_bucket, Key=frame_key("cam1", T0, video_id))["Body"].read()
    assert jpeg_size(picture) == (640, 360)
    # When the minute has settled
    deps.now[0] = T0 + timedelta(minutes=2)
    lifecycle.run_camera(deps, deps.cameras.get("cam1"), deps.now[0])
    # Then the record is DONE with its early ALERT, scored from the sub-stream, and its clip is the main stream's
    record = deps.records.table.get_item(Key={"video_id": video_id})["Item"]
    assert record["status"] == "DONE" and record["decision"] == "ALERT" and len(requests) == 1
    assert record["video_info"]["scored_stream"] == SUB
    clip = sess.client("s3").get_object(Bucket=res.video_bucket, Key=record["s3_key"])["Body"].read()
    assert decoded_frames(clip)[0].shape == (720, 1280, 3)
    # And no segment or sub-stream object is left behind
    assert not [k for k in video_objects(sess, res.video_bucket) if ".sub" in k or ".seg" in k]


def test_a_segment_with_no_sub_stream_fragments_is_scored_from_the_main_stream(worker, hd_video):
    endpoint, deps, requests, sess, res = worker
    # Given segments as deployed, and a camera whose sub-stream has sent nothing
    deps.settings = dataclasses.replace(deps.settings, segment_seconds=5)
    assert push(endpoint, hd_video) == 0
    # When a segment is scored and the minute later settles
    deps.now[0] = T0 + timedelta(seconds=20)
    (early,) = lifecycle.run_camera(deps, deps.cameras.get("cam1"), deps.now[0])
    assert early.metrics["SubStreamFallbacks"] == 1
    deps.now[0] = T0 + timedelta(minutes=2)
    lifecycle.run_camera(deps, deps.cameras.get("cam1"), deps.now[0])
    # Then the main stream's fragments were scored, once, and the record says why, with its one early alert
    (request,) = requests
    assert ".seg" in request["key"] and "picture" not in request
    record = deps.records.table.get_item(Key={"video_id": early.video_id})["Item"]
    assert record["status"] == "DONE" and record["decision"] == "ALERT" and record.get("alert_message_id")
    assert record["video_info"]["scored_stream"] == "main"
    assert record["video_info"]["sub_stream_fallback"].startswith("SUB_STREAM_EMPTY")


def test_a_main_stream_clip_that_cannot_be_read_costs_the_alert_only_the_main_streams_picture(worker, hd_video):
    from videoalert_contract.inference import InferenceRequest, PictureSource, ScoredClip

    _, deps, _, sess, res = worker
    # Given a scored clip in S3 whose picture source (the main stream's clip) is gone (expired, never stored)
    sess.client("s3").put_object(Bucket=res.video_bucket, Key="videos/cam1/sub.mp4", Body=Path(hd_video).read_bytes())
    request = InferenceRequest("cam1-x", res.video_bucket, ("videos/cam1/sub.mp4",), best_frame=True,
                               picture=PictureSource(("videos/cam1/gone.mp4",), min_score=0.0))
    # When the inference function scores it
    answer = deps.inference.score(request)
    # Then the clip is scored, and its picture is cut from the scored clip instead
    assert isinstance(answer, ScoredClip) and answer.frames and answer.best_frame is not None
    assert jpeg_size(answer.best_frame.jpeg) == (640, 360)


def test_a_sub_stream_clip_that_starts_later_is_put_on_the_main_clips_time_line():
    from videoalert.app.substream import on_main_timeline, segment_range
    from videoalert.domain.segments import FragmentInfo
    from videoalert_contract.inference import BestFrame, FrameScore, ScoredClip, TopEmbedding

    # Given a sub-stream clip whose first fragment is 0.4 s after the main stream's
    frame = FrameScore(1.0, 0.9, "person", (0.1, 0.2, 0.3, 0.4))
    scored = ScoredClip("v", "m", 0.7, frames=(frame,), top_embeddings=(TopEmbedding(frame, (0.5,)),),
                        video={"width": 640}, best_frame=BestFrame(frame, b"jpeg"))
    # When its answer is moved onto the main clip's time line
    moved = on_main_timeline(scored, 0.4, {"scored_stream": SUB})
    # Then every time is 0.4 s later, the boxes are the same fractions, and the video info says what was scored
    assert [f.t for f in moved.frames] == [moved.top_embeddings[0].frame.t] == [moved.best_frame.frame.t] == [1.4]
    assert moved.frames[0].box == frame.box and moved.video == {"width": 640, "scored_stream": SUB}
    # And a segment's new main-stream fragments span up to the next fragment, or one spacing past the last
    listed = [FragmentInfo(T0 + timedelta(seconds=s), 1) for s in (0, 2, 4)]
    assert segment_range(listed, listed[:2]) == (T0, T0 + timedelta(seconds=4))
    assert segment_range(listed, listed[2:]) == (T0 + timedelta(seconds=4), T0 + timedelta(seconds=6))
