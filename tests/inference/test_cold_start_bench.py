"""The cold-start benchmark measures the real handler: one fresh process reads the clip through its URL path."""
from pathlib import Path

import pytest

from bench.clips import CLIP_640
from bench.cold_start import measure, serve_clip

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.skipif(not Path(CLIP_640).exists(), reason="needs ../shared/data/clips")
def test_a_fresh_handler_process_scores_the_clip_through_its_url():
    # Given the clip on a loopback server standing in for S3, as the benchmark serves it
    with serve_clip(CLIP_640) as url:
        # When one cold process imports the handler, loads the released model and handles one request
        (result,) = measure("onnx", MODELS, url, 1)
    # Then it answered (the child asserts a good response of 60 frames) and reported each phase's time
    assert set(result) >= {"imports", "runtime", "first_clip", "process_wall"}
    assert all(result[k] > 0 for k in ("imports", "runtime", "first_clip"))
