"""The inference Lambda handler against S3 on moto: the payload contract, bad requests, and the per-container model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from tests.fixtures.onnx_models import write_tiny_model
from videoalert_inference import handler as inference_handler
from videoalert_inference.handler import handler


class LambdaContext:
    function_name = "videoalert-inference"
    memory_limit_in_mb = 2048
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:videoalert-inference"
    aws_request_id = "test-request"


def put(s3, key: str, body: bytes) -> None:
    s3.put_object(Bucket="clips", Key=key, Body=body)


def request(**overrides) -> dict:
    return {"video_id": "cam1-20260101T000000Z", "bucket": "clips", "key": "videos/cam1/clip.mp4", **overrides}


def red_between(start, end):
    return lambda t: RED if start <= t < end else BLUE


def test_a_clip_in_s3_gets_the_contract_response(inference_env):
    # Given a 12 s clip in S3, red (a person for the tiny model) from 4 s to 6 s
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 10), red_between(4, 6)))
    # When the inference function is invoked for it
    response = handler(request(regions="full"), LambdaContext())
    # Then it answers with one "full"-region score per second, high only where the person is
    assert response["ok"] is True
    assert response["video_id"] == "cam1-20260101T000000Z"
    assert response["model_version"] == "tiny-test-0"
    assert response["threshold"] == 0.5
    assert [f["t"] for f in response["frames"]] == [float(s) for s in range(12)]
    assert {f["region"] for f in response["frames"]} == {"full"}
    assert [f["t"] for f in response["frames"] if f["score"] >= 0.5] == [4.0, 5.0]
    # with the top embeddings, the video's description and the time spent in each stage
    assert len(response["top_embeddings"]) == 4  # whole frames have no box: the four best, by score
    assert {e["t"] for e in response["top_embeddings"][:2]} == {4.0, 5.0}
    assert all(len(e["embedding"]) == 512 for e in response["top_embeddings"])
    assert response["video"] == {"width": 64, "height": 48, "fps": pytest.approx(10, rel=0.05),
                                 "duration_s": pytest.approx(12, abs=0.05), "codec": "h264"}
    assert set(response["timings_ms"]) == {"download", "decode", "preprocess", "inference", "total"}
    # and the whole answer is plain JSON (it travels back through Lambda invoke)
    assert json.loads(json.dumps(response)) == response


def test_sampling_settings_of_the_request_are_honoured(inference_env):
    # Given a 10 s clip
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(10, 10)))
    # When asked for 2 fps, at most 7 frames and one embedding
    response = handler(request(sample_fps=2.0, max_frames=7, top_k_embeddings=1, regions="full"), LambdaContext())
    # Then 7 frames half a second apart come back, with one embedding
    assert [f["t"] for f in response["frames"]] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert len(response["top_embeddings"]) == 1


def test_more_keys_continue_the_clip(inference_env):
    # Given a clip stored as two 5 s parts, the person in the second
    put(inference_env, "videos/cam1/part1.mp4", encode_clip(cfr_times(5, 10), red_between(99, 99)))
    put(inference_env, "videos/cam1/part2.mp4", encode_clip(cfr_times(5, 10), red_between(1, 2)))
    # When both are sent as one clip
    response = handler(request(key="videos/cam1/part1.mp4", more_keys=["videos/cam1/part2.mp4"], regions="full"),
                       LambdaContext())
    # Then the timestamps continue and the person is at 6 s of the clip (a clip in parts is sampled at its rate)
    assert [f["t"] for f in response["frames"]] == [float(s) for s in range(10)]
    assert [f["t"] for f in response["frames"] if f["score"] >= 0.5] == [6.0]
    assert response["video"]["duration_s"] == pytest.approx(10, abs=0.05)


@pytest.mark.parametrize("body, overrides, code", [
    (None, {}, "NOT_FOUND"),
    (b"", {}, "EMPTY_VIDEO"),
    (b"\xff\xd8\xff\xe0 not really a jpeg or a video", {}, "CORRUPT_VIDEO"),
    (b"x", {"sample_fps": 0}, "BAD_REQUEST"),
    (b"x", {"sample_fps": "fast"}, "BAD_REQUEST"),
    (b"x", {"max_frames": 0}, "BAD_REQUEST"),
    (b"x", {"bucket": ""}, "BAD_REQUEST"),
    (b"x", {"more_keys": "videos/cam1/other.mp4"}, "BAD_REQUEST"),
    (b"x", {"more_keys": ["videos/cam1/missing.mp4"]}, "NOT_FOUND"),
], ids=["missing object", "zero bytes", "garbage", "zero fps", "fps not a number", "zero frames",
        "no bucket", "more_keys not a list", "missing second part"])
def test_bad_requests_are_answered_not_raised(inference_env, body, overrides, code):
    # Given a request the function cannot serve
    if body is not None:
        put(inference_env, "videos/cam1/clip.mp4", body)
    # When it is invoked
    response = handler(request(**overrides), LambdaContext())
    # Then it answers ok:false with the code (the dispatcher records it and does not retry)
    assert response["ok"] is False
    assert response["video_id"] == "cam1-20260101T000000Z"
    assert response["error"]["code"] == code
    assert response["error"]["message"]


def test_a_clip_over_the_size_limit_is_refused_before_download(inference_env, monkeypatch):
    # Given a limit of 1 kB and a bigger clip
    monkeypatch.setenv("MAX_VIDEO_BYTES", "1000")
    inference_handler.reset_runtime()
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(10, 10)))
    calls = []
    inference_handler.get_runtime().s3.meta.events.register(
        "before-call.s3.GetObject", lambda **kwargs: calls.append(kwargs))
    # When it is invoked
    response = handler(request(), LambdaContext())
    # Then it is refused as TOO_LARGE without reading the object
    assert response["error"]["code"] == "TOO_LARGE"
    assert calls == []


def test_a_request_that_is_not_an_object_is_a_bad_request(inference_env):
    response = handler(["not", "an", "object"], LambdaContext())
    assert response == {
        "ok": False,
        "video_id": "",
        "error": {"code": "BAD_REQUEST", "message": response["error"]["message"]},
    }


def test_the_model_loads_once_per_container(inference_env):
    # Given a clip
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(2, 10)))
    # When the function is invoked twice in the same container
    handler(request(), LambdaContext())
    first = inference_handler.get_runtime().classifier
    handler(request(), LambdaContext())
    # Then both invocations used the same loaded model
    assert inference_handler.get_runtime().classifier is first


_RUNTIME_AT_IMPORT = """
from videoalert_inference import handler
print("loaded" if handler._runtime is not None else "not loaded")
"""


@pytest.mark.parametrize("in_lambda, expected", [(True, "loaded"), (False, "not loaded")])
def test_in_lambda_the_model_loads_in_the_init_phase_elsewhere_on_first_use(tmp_path, in_lambda, expected):
    # Given a model directory, and a process that is (or is not) a Lambda environment
    write_tiny_model(tmp_path)
    repo = Path(__file__).resolve().parents[2]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MODEL_DIR": str(tmp_path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(repo / "inference_container"),
    }
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "videoalert-inference"
    # When the handler module is imported
    out = subprocess.run([sys.executable, "-c", _RUNTIME_AT_IMPORT], env=env, capture_output=True, text=True)
    # Then in Lambda the model is already loaded (init phase), elsewhere it waits for the first call
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == expected


def test_a_missing_model_is_a_function_error_not_an_answer(inference_env, monkeypatch, tmp_path):
    # Given a container whose model directory is empty (a broken image)
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    inference_handler.reset_runtime()
    # When it is invoked
    # Then the error is raised, so Lambda reports it and the dispatcher records FAILED
    with pytest.raises(FileNotFoundError):
        handler(request(), LambdaContext())


def test_a_model_card_for_other_preprocessing_is_refused(inference_env, monkeypatch, tmp_path):
    # Given a model whose card names another preprocessing procedure
    write_tiny_model(tmp_path, preprocess_version="center-crop-v0")
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    inference_handler.reset_runtime()
    # When the function starts
    # Then it refuses to serve the model
    with pytest.raises(ValueError, match="preprocessing"):
        handler(request(), LambdaContext())


def test_a_region_score_fitted_with_another_detector_is_refused(inference_env, monkeypatch, tmp_path):
    # Given a model whose card's detect-mode combination was fitted with another person detector than the one beside it
    write_tiny_model(tmp_path)
    card = json.loads((tmp_path / "model_card.json").read_text())
    card["region_score"] = {"weights": {"resnet_margin": 1.2, "detector_logit": 0.9, "log_height": 0.5},
                            "offset": 1.5, "detector_version": "person_detector-00000000"}
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    inference_handler.reset_runtime()
    # When the function starts
    # Then it refuses to serve scores that would mean something else, and says what to do
    with pytest.raises(ValueError, match="make region-score"):
        handler(request(), LambdaContext())


def test_metrics_are_published_in_the_videoalert_namespace(inference_env, capsys):
    # Given a clip
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 10)))
    # When it is scored
    handler(request(), LambdaContext())
    # Then an EMF record carries Frames, DecodeMs and InferenceMs under "videoalert"
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    emf = [r for r in records if "Frames" in r]
    assert emf, records
    directive = emf[-1]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "videoalert"
    assert {"Frames", "DecodeMs", "InferenceMs"} <= {m["Name"] for m in directive["Metrics"]}
    assert emf[-1]["Frames"] == [12.0]
