"""Operators get a dashboard and alarms on the ops topic for errors, DLQs, slowness, failures, offline cameras."""
from __future__ import annotations

import json

import pytest

from infra import monitoring
from infra.stack import SERVICE_NAMES


def _alarms(synth) -> dict[str, dict]:
    """Alarms keyed by the name the Monitoring construct gave them."""
    return {name: synth.json["Resources"][synth.stack.get_logical_id(alarm.node.default_child)]["Properties"]
            for name, alarm in synth.stack.monitoring.alarms.items()}


def test_every_alarm_notifies_the_ops_topic_on_alarm_and_on_recovery(synth):
    ops = {"Ref": synth.logical_id(synth.stack.monitoring.ops_topic)}
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    assert alarms
    for lid, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [ops], lid
        assert alarm["Properties"]["OKActions"] == [ops], lid
        assert alarm["Properties"].get("AlarmDescription"), lid


OWNER = {"camera-worker": "workers"}  # alarm name -> the stack attribute that owns the function


@pytest.mark.parametrize("function", ["dispatcher", "camera-worker", "inference", "feedback", "review"])
def test_each_function_has_error_and_throttle_alarms(synth, function):
    alarms = _alarms(synth)
    for kind, metric in (("errors", "Errors"), ("throttles", "Throttles")):
        alarm = alarms[f"{function}-{kind}"]
        assert alarm["MetricName"] == metric and alarm["Namespace"] == "AWS/Lambda"
        owner = getattr(synth.stack, OWNER.get(function, function))
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": synth.logical_id(owner.function)}}]


@pytest.mark.parametrize("owner", ["dispatcher", "camera-jobs", "review", "alert-delivery", "ops-delivery"])
def test_dead_letter_queue_not_empty_alarms(synth, owner):
    alarm = _alarms(synth)[f"{owner}-dlq-not-empty"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_inference_p99_alarm_fires_at_80_percent_of_its_timeout(synth):
    alarm = _alarms(synth)["inference-duration-near-timeout"]
    timeout_s = synth.json["Resources"][synth.logical_id(synth.stack.inference.function)]["Properties"]["Timeout"]
    assert alarm["ExtendedStatistic"] == "p99" and alarm["MetricName"] == "Duration"
    assert alarm["Threshold"] == pytest.approx(0.8 * timeout_s * 1000)


def test_sustained_clip_failures_alarm_on_the_dispatcher_metric(synth):
    alarm = _alarms(synth)["clips-failing"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("videoalert", "ClipsFailed")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAMES["dispatcher"]}]
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == monitoring.FAILURE_PERIODS


@pytest.mark.parametrize("camera", ["front", "back-yard"])
def test_camera_offline_alarm_treats_missing_clips_as_breaching(synth, camera):
    alarm = _alarms(synth)[f"camera-{camera}-offline"]
    assert alarm["MetricName"] == "ClipsReceivedByCamera"
    assert {"Name": "camera_id", "Value": camera} in alarm["Dimensions"]
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 15 * 60


@pytest.mark.parametrize("camera", ["front", "back-yard"])
def test_camera_alert_rate_has_an_anomaly_band_and_a_static_storm_guard(synth, camera):
    alarms = _alarms(synth)
    anomaly = alarms[f"camera-{camera}-alert-rate-anomaly"]
    assert anomaly["ComparisonOperator"] == "GreaterThanUpperThreshold"
    band = [m for m in anomaly["Metrics"] if "Expression" in m]
    assert band and band[0]["Expression"].startswith("ANOMALY_DETECTION_BAND")
    watched = [m["MetricStat"]["Metric"] for m in anomaly["Metrics"] if "MetricStat" in m]
    assert watched[0]["MetricName"] == "AlertsByCamera"
    assert {"Name": "camera_id", "Value": camera} in watched[0]["Dimensions"]
    storm = alarms[f"camera-{camera}-alert-storm"]
    assert storm["Threshold"] == monitoring.ALERT_STORM_RATIO


def test_dashboard_shows_throughput_latency_errors_alerts_per_camera_and_dlq_depth(synth):
    [dashboard] = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in ("Throughput", "Latency", "Errors", "Alerts per camera", "Dead-letter queue depth",
                   "ClipsReceived", "ClipsProcessed", "ClipsFailed", "Suppressed", "DecodeMs", "InferenceMs",
                   "Frames", "AlertsByCamera", "ApproximateNumberOfMessagesVisible", "back-yard"):
        assert needle in body, needle


def test_clips_recovered_in_every_period_alarm_and_show_on_the_dashboard(synth):
    # A run dying mid-clip now and then is recovered silently; dying in every period for 15 minutes is a problem
    alarm = _alarms(synth)["clips-recovered"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("videoalert", "Recovered")
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == monitoring.FAILURE_PERIODS
    [dashboard] = synth.resources("AWS::CloudWatch::Dashboard").values()
    assert "Recovered" in json.dumps(dashboard["Properties"]["DashboardBody"])
