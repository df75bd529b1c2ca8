"""Operators get a dashboard and alarms on the ops topic for errors, DLQs, slowness, failures, offline cameras (one
fleet-level alarm, whatever the number of cameras)."""
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


OWNER = {"camera-worker": "workers", "camera-registry": "registry"}  # alarm name -> the stack attribute


@pytest.mark.parametrize("function", ["dispatcher", "camera-worker", "inference", "feedback", "review",
                                      "camera-registry"])
def test_each_function_has_error_and_throttle_alarms(synth, function):
    alarms = _alarms(synth)
    for kind, metric in (("errors", "Errors"), ("throttles", "Throttles")):
        alarm = alarms[f"{function}-{kind}"]
        assert alarm["MetricName"] == metric and alarm["Namespace"] == "AWS/Lambda"
        owner = getattr(synth.stack, OWNER.get(function, function))
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": synth.logical_id(owner.function)}}]


@pytest.mark.parametrize("owner", ["dispatcher", "camera-jobs", "review", "alert-delivery", "ops-delivery",
                                   "camera-health"])
def test_dead_letter_queue_not_empty_alarms(synth, owner):
    alarm = _alarms(synth)[f"{owner}-dlq-not-empty"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_inference_p99_alarm_fires_at_80_percent_of_its_timeout(synth):
    alarm = _alarms(synth)["inference-duration-near-timeout"]
    timeout_s = synth.json["Resources"][synth.logical_id(synth.stack.inference.function)]["Properties"]["Timeout"]
    assert alarm["ExtendedStatistic"] == "p99" and alarm["MetricName"] == "Duration"
    assert alarm["Threshold"] == pytest.approx(0.8 * timeout_s * 1000)


def _summed(alarm):
    """The metric an alarm sums over its services, and those services (the alarm's expression and its metrics)."""
    [expression] = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    ids = [m["Id"] for m in alarm["Metrics"] if "MetricStat" in m]
    watched = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert expression == " + ".join(f"FILL({i}, 0)" for i in ids)
    assert all(m["Namespace"] == "videoalert" for m in watched)
    return {m["MetricName"] for m in watched}, [d["Value"] for m in watched for d in m["Dimensions"]]


def test_sustained_clip_failures_alarm_on_the_workers_and_the_dispatchers_metric(synth):
    # Given the camera workers (every clip) and the dispatcher (a redriven clip) emit ClipsFailed
    alarm = _alarms(synth)["clips-failing"]
    # Then the alarm reads both, summed, under each function's own service name
    assert _summed(alarm) == ({"ClipsFailed"}, [SERVICE_NAMES["camera-worker"], SERVICE_NAMES["dispatcher"]])
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == monitoring.FAILURE_PERIODS


def test_cameras_offline_is_one_fleet_alarm_on_the_health_checks_count(synth):
    alarm = _alarms(synth)["cameras-offline"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("videoalert", "CamerasOffline")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAMES["cameras"]}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # three 5-minute checks in a row: a camera restarting is not paged
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 15 * 60


def test_no_alarm_or_metric_is_per_camera(synth):
    # Given the context's cameras "front" and "back-yard", Then no alarm names a camera: alarms do not grow with them
    for lid, alarm in synth.resources("AWS::CloudWatch::Alarm").items():
        text = json.dumps(alarm["Properties"])
        assert "camera_id" not in text and "front" not in text and "back-yard" not in text, lid


def test_the_fleet_alert_rate_has_an_anomaly_band_and_a_static_storm_guard(synth):
    alarms = _alarms(synth)
    anomaly = alarms["alert-rate-anomaly"]
    assert anomaly["ComparisonOperator"] == "GreaterThanUpperThreshold"
    band = [m for m in anomaly["Metrics"] if "Expression" in m]
    assert band and band[0]["Expression"].startswith("ANOMALY_DETECTION_BAND")
    watched = [m["MetricStat"]["Metric"] for m in anomaly["Metrics"] if "MetricStat" in m]
    assert watched[0]["MetricName"] == "Alerts"
    assert alarms["alert-storm"]["Threshold"] == monitoring.ALERT_STORM_RATIO


def test_dashboard_shows_throughput_latency_errors_camera_health_top_cameras_and_dlq_depth(synth):
    [dashboard] = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in ("Throughput", "Latency", "Errors", "Alerts per camera", "Dead-letter queue depth",
                   "ClipsReceived", "ClipsProcessed", "ClipsFailed", "Suppressed", "DecodeMs", "InferenceMs",
                   "Frames", "AlertsByCamera", "SEARCH", "CamerasOffline", "CamerasRegistered",
                   "ApproximateNumberOfMessagesVisible"):
        assert needle in body, needle
    assert "back-yard" not in body  # cameras are found by a search expression, not listed


def test_clips_recovered_in_every_period_alarm_and_show_on_the_dashboard(synth):
    # A run dying mid-clip now and then is recovered silently; dying in every period for 15 minutes is a problem
    alarm = _alarms(synth)["clips-recovered"]
    assert _summed(alarm) == ({"Recovered"}, [SERVICE_NAMES["camera-worker"], SERVICE_NAMES["dispatcher"]])
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == monitoring.FAILURE_PERIODS
    [dashboard] = synth.resources("AWS::CloudWatch::Dashboard").values()
    assert "Recovered" in json.dumps(dashboard["Properties"]["DashboardBody"])
