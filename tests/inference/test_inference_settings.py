"""The inference function's settings: defaults from bench/README.md, each overridable from the environment."""
from __future__ import annotations

from videoalert_inference.budget import WorkLimits
from videoalert_inference.settings import InferenceSettings


def test_defaults_are_the_benchmarked_configuration():
    # Given no environment, When the settings are read, Then score_clip gets the shipped configuration
    options = InferenceSettings.from_env({"MODEL_DIR": "/opt/model"}).scoring_options()
    assert options == {"decoder_threads": 1, "decoder_workers": 2, "pipeline": True, "inference_workers": 2,
                       "batch_size": 8, "tile_every": 2, "detect_tile_every": 4, "detect_change_level": 8.0,
                       "limits": WorkLimits(), "frame_window": 0.5, "skip_loop_filter": "nokey",
                       "score_change_level": 8.0}
    assert WorkLimits() == WorkLimits(max_pixels=3840 * 2160, max_frames_decoded=7200, max_decode_s=60.0,
                                      max_packets=500_000, max_pixels_decoded=7200 * 1920 * 1080)


def test_the_environment_overrides_each_setting():
    # Given a one-vCPU function configured the sequential way
    env = {"MODEL_DIR": "/opt/model", "DECODER_WORKERS": "1", "PIPELINE": "off", "INFERENCE_WORKERS": "1",
           "BATCH_SIZE": "16", "TILE_EVERY": "1", "MAX_PIXELS": "2073600", "MAX_FRAMES_DECODED": "3600",
           "MAX_DECODE_SECONDS": "30", "DETECT_TILE_EVERY": "0", "DETECT_CHANGE_LEVEL": "0",
           "MAX_PACKETS_DEMUXED": "200000", "MAX_PIXELS_DECODED": "1000000000", "FRAME_WINDOW": "0",
           "SKIP_LOOP_FILTER": "default", "SCORE_CHANGE_LEVEL": "0"}
    # When the settings are read, Then score_clip gets exactly that
    options = InferenceSettings.from_env(env).scoring_options()
    assert options == {"decoder_threads": 1, "decoder_workers": 1, "pipeline": False, "inference_workers": 1,
                       "batch_size": 16, "tile_every": 1, "detect_tile_every": 0, "detect_change_level": 0.0,
                       "limits": WorkLimits(max_pixels=1920 * 1080, max_frames_decoded=3600, max_decode_s=30.0,
                                            max_packets=200_000, max_pixels_decoded=1_000_000_000),
                       "frame_window": 0.0, "skip_loop_filter": "default", "score_change_level": 0.0}


def test_the_model_encoding_is_chosen_by_cpu_unless_the_environment_names_one():
    # Given no MODEL_ENCODING, Then the loader picks by CPU; And MODEL_ENCODING=plain forces the file as named
    assert InferenceSettings.from_env({"MODEL_DIR": "/opt/model"}).model_encoding == "auto"
    assert InferenceSettings.from_env({"MODEL_DIR": "/opt/model", "MODEL_ENCODING": "plain"}).model_encoding == "plain"
