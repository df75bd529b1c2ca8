"""Each handler's settings: read once from the environment the stack sets, every value within its bounds."""
from __future__ import annotations

import pytest

from videoalert.config.dispatcher import DispatcherSettings
from videoalert.config.env import SettingsError
from videoalert.config.feedback import FeedbackSettings
from videoalert.config.review import ReviewSettings

DISPATCHER_ENV = {"VIDEO_BUCKET": "vb", "VIDEOS_TABLE": "videos", "CAMERAS_TABLE": "cameras",
                  "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:alerts", "INFERENCE_FUNCTION_NAME": "inf"}


def test_the_dispatcher_takes_its_defaults_and_no_camera_from_the_environment():
    settings = DispatcherSettings.from_env({**DISPATCHER_ENV, "CAMERA_IDS": "front, garden,"})
    # the cameras are the registry's (a scan of the cameras table): a leftover CAMERA_IDS is not read
    assert not hasattr(settings, "camera_ids") and settings.retention_days == 30
    assert settings.sample_fps == 1.0 and settings.inference_urls is True and settings.fp_memory_table is None
    assert DispatcherSettings.from_env({**DISPATCHER_ENV, "INFERENCE_CLIP_URLS": "off"}).inference_urls is False


@pytest.mark.parametrize("name,value,message", [
    ("VIDEO_RETENTION_DAYS", "0", "VIDEO_RETENTION_DAYS must be in [1, 3650]"),
    ("SAMPLE_FPS", "31", "SAMPLE_FPS must be in (0, 30]"),
    ("MAX_WINDOWS_PER_RUN", "lots", "MAX_WINDOWS_PER_RUN must be a whole number"),
    ("VIDEO_BUCKET", "", "VIDEO_BUCKET must be set"),
])
def test_a_bad_value_names_its_variable_and_its_bounds(name, value, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        DispatcherSettings.from_env({**DISPATCHER_ENV, name: value})


def test_feedback_and_review_have_their_own_models():
    feedback = FeedbackSettings.from_env({"VIDEOS_TABLE": "v", "CAMERAS_TABLE": "c", "FP_MEMORY_TABLE": "m"})
    assert feedback.fp_memory_capacity == 50
    review = ReviewSettings.from_env({"VIDEOS_TABLE": "v", "CAMERAS_TABLE": "c", "VIDEO_BUCKET": "vb",
                                      "REVIEW_BUCKET": "rb", "REVIEW_BAND": "0.2"})
    assert review.band == 0.2
    with pytest.raises(SettingsError, match="FP_MEMORY_TABLE must be set"):
        FeedbackSettings.from_env({"VIDEOS_TABLE": "v", "CAMERAS_TABLE": "c"})
