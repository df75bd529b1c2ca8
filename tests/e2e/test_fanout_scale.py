"""The fan-out at a small scale on moto's server (issue 20; `python -m bench.fanout_scale` is the 1,000-camera run):
every window processed exactly once, none lost, one alert per event; then racing ticks, a killed worker and a camera
slower than the ticks."""
from __future__ import annotations

import json

from bench.scale_run import run_overlap, run_scale
from bench.scale_stand_ins import atomic_emulator
from videoalert_local import emulator


def test_twenty_cameras_for_two_minutes_each_window_once_one_alert_per_event():
    emulator.use_dummy_credentials()
    with atomic_emulator(), emulator.moto_server() as endpoint:
        report = run_scale(cameras=20, minutes=2, workers=6, endpoint=endpoint)
    print(json.dumps(report.summary()))  # the figures, for the record (pytest -s)
    assert report.windows_expected == report.records == 40 and report.lost == 0
    assert report.statuses == {"DONE": 40} and report.scored_more_than_once == 0
    assert report.jobs_enqueued == report.jobs_expected == 40  # one job per camera and tick
    # every 10th camera has a person in both minutes: one alert each, the second minute its cooldown
    assert report.alerts == report.alert_events_expected == 2 and report.double_alerts == 0
    assert report.decisions == {"ALERT": 2, "COOLDOWN": 2, "NO_ALERT": 36}
    assert len(report.latency_s) == 40 and report.ok


def test_racing_ticks_a_killed_worker_and_a_slow_camera_lose_and_repeat_nothing():
    emulator.use_dummy_credentials()
    with atomic_emulator(), emulator.moto_server() as endpoint:
        report = run_overlap(cameras=4, endpoint=endpoint, workers=4)
    print(json.dumps(report.summary()))
    # two ticks raced for each of minutes 1-3, yet each camera got one job per tick
    assert report.jobs_sent > report.jobs_enqueued == report.jobs_expected
    # the killed worker's clip was recovered once its leases expired; the slow camera kept its order
    assert report.windows_expected == report.records == 12 and report.lost == 0
    assert report.statuses == {"DONE": 12} and report.scored_more_than_once == 0
    assert report.rescored_after_kill == 1  # the one clip its worker died on, scored again by the recovery
    assert report.alerts == report.alert_events_expected == 1 and report.double_alerts == 0
    assert report.ok


def test_segments_alert_early_once_per_event_and_score_every_fragment_once():
    # Given cameras whose streams are scored in segments as their fragments settle (issue 32), every 10th with a
    # person from second 2 of minute 1 to second 30 of minute 2
    emulator.use_dummy_credentials()
    with atomic_emulator(), emulator.moto_server() as endpoint:
        report = run_scale(cameras=20, minutes=3, workers=6, endpoint=endpoint, segments=True)
    print(json.dumps(report.summary()))
    # Then every minute is recorded once and DONE, no fragment scored twice, nothing lost
    assert report.windows_expected == report.records == 60 and report.lost == 0
    assert report.statuses == {"DONE": 60} and report.scored_more_than_once == 0
    # And each person alerted once, early (before its minute settled); the next minute is its cooldown
    assert report.alerts == report.alert_events_expected == report.early_alerts == 2 and report.double_alerts == 0
    assert report.decisions == {"ALERT": 2, "COOLDOWN": 2, "NO_ALERT": 56} and report.ok


def test_segments_under_racing_ticks_a_killed_worker_and_a_slow_camera():
    emulator.use_dummy_credentials()
    with atomic_emulator(), emulator.moto_server() as endpoint:
        report = run_overlap(cameras=10, endpoint=endpoint, workers=4, segments=True)
    print(json.dumps(report.summary()))
    assert report.jobs_sent > report.jobs_enqueued == report.jobs_expected
    assert report.windows_expected == report.records == 30 and report.lost == 0
    assert report.statuses == {"DONE": 30} and report.scored_more_than_once == 0
    # the killed worker died scoring a segment: those fragments only were scored again, by the next holder
    assert report.rescored_after_kill >= 1
    assert report.alerts == report.alert_events_expected == report.early_alerts == 1 and report.double_alerts == 0
    assert report.ok
