"""A load run: 200 clips, 4 concurrent dispatchers, then every event replayed: all terminal, no duplicate."""
from __future__ import annotations

import json

import pytest

from fixtures.bad_videos import encode_video


@pytest.mark.slow
def test_two_hundred_clips_with_four_workers_end_terminal_with_no_duplicates(pipeline, tmp_path, capsys):
    # Given 200 uploads of real (short) videos and 4 concurrent dispatcher instances
    from bench.load_run import all_terminal, run_load
    from videoalert.aws.inference import InProcessInferenceClient
    from videoalert.wiring import build_dependencies
    from videoalert_inference import handler as inference
    from videoalert_local.emulator import session
    from videoalert_local.pipeline import NoStreamsLocally

    videos = [encode_video(tmp_path / f"v{i}.mp4", seconds=5, fps=5, width=160, height=120) for i in range(4)]

    def make_dependencies():
        return build_dependencies(pipeline.res.settings(), session=session(),
                                  inference=InProcessInferenceClient(inference.handler), clip_source=NoStreamsLocally())

    # When they are processed, then every event is delivered a second time
    report = run_load(sess=pipeline.sess, endpoint_url=None, resources=pipeline.res, queue_url=pipeline.queue_url,
                      make_dependencies=make_dependencies, videos=videos, clips=200, workers=4)

    # Then all 200 have one terminal record, one alert per ALERT record, and the replay changed nothing
    with capsys.disabled():
        print("\nload run:", json.dumps(report.summary()))
    assert report.records == 200 and all_terminal(report), report.statuses
    assert report.statuses == {"DONE": 200}
    assert report.alerts_received == report.decisions.get("ALERT", 0)
    assert report.duplicate_alerts == 0 and report.replay_new_records == 0 and report.replay_new_alerts == 0
