"""Issue 32 as a new user meets it: in `run-local --serve`, a person pushed with `videoalert push --realtime --local`
alerts before the minute they appear in has even ended (the serve loop scores each camera's stream every few seconds,
as the stack's segment chain does), and the minute is completed later without a second alert. The released model
decides, on a real person video from ../shared/data."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from e2e.test_local_camera_path import _json_array, _wait_for

from videoalert_cli.main import main
from videoalert_local.local_run import run_local


@pytest.mark.slow  # real time: the push takes 4 s, then the alert and the minute's completion (up to 75 s more)
def test_a_person_pushed_in_real_time_alerts_before_the_minute_ends_and_once(clips_dir, capsys):
    person = clips_dir.parent / "real" / "videos" / "example_01.mp4"  # people from its first frame, 4.1 s
    assert person.is_file()
    # Given `run-local --serve` with no videos, on the real clock
    said: list[str] = []
    stop = threading.Event()
    serving = threading.Thread(target=run_local, args=([],), daemon=True,
                               kwargs={"report_dir": None, "say": said.append, "serve": True, "stop": stop})
    serving.start()
    try:
        _wait_for(lambda: main(["camera", "list", "--local", "--json"]) == 0, "the serving run to start")
        capsys.readouterr()
        # When a real person video is pushed at its own pace, as a camera sends it
        pushed_at = datetime.now(UTC)
        assert main(["push", "cam1", str(person), "--local", "--realtime", "--no-progress"]) == 0
        capsys.readouterr()
        # Then the alert comes while the minute it belongs to is still open (not a minute and a settle lag later)
        _wait_for(lambda: any(m.startswith("ALERT: Person detected on cam1") for m in said), "the alert", 60)
        alerted_at = datetime.now(UTC)

        def records() -> list[dict]:
            assert main(["list", "--camera", "cam1", "--local", "--json"]) == 0
            return _json_array(capsys.readouterr().out)

        (record,) = _wait_for(records, "the minute's record")
        minute = datetime.fromisoformat(record["window_start"].replace("Z", "+00:00"))
        assert record["decision"] == "ALERT"
        assert alerted_at < minute + timedelta(seconds=60 + 12), "the alert waited for the minute to settle"
        assert (alerted_at - pushed_at).total_seconds() < 60
        # And when the minute settles it is completed DONE ALERT, with no second alert for it
        (done,) = _wait_for(lambda: [r for r in records() if r["status"] == "DONE"], "the minute's completion", 120)
        assert done["video_id"] == record["video_id"] and done["decision"] == "ALERT"
        assert sum(m.startswith("ALERT: Person detected on cam1") for m in said) == 1
    finally:
        stop.set()
        serving.join(timeout=30)
