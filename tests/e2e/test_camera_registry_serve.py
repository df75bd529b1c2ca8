"""Issue 31's acceptance on a laptop: in a running `run-local --serve`, `videoalert camera add cam2 --local` registers
a camera (its stream on the KVS stand-in), then `videoalert push cam2 <real person video> --local` alerts, with no
restart; `camera show` reports it, `camera remove` works, all with the CLI's conventions (exit codes, one-line
errors, --json). The released model decides, on a real video from ../shared/data."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from e2e.test_local_camera_path import _json_array, _wait_for

from videoalert_cli.main import main
from videoalert_local.local_run import run_local


@pytest.mark.slow  # the released model on a 60 s real video, pushed through the stand-in (about a minute)
def test_a_camera_added_to_a_running_emulator_alerts_on_a_pushed_person_without_a_restart(clips_dir, monkeypatch,
                                                                                          capsys):
    from videoalert_local import serve as local_serve

    person = clips_dir / "human_01.mp4"
    assert person.is_file()
    # Given `run-local --serve` with no videos (cam1 seeded), its EventBridge clock held at T by the test
    monkeypatch.setattr(local_serve, "SERVE_TICK_S", 0.3)
    t0 = (datetime.now(UTC) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    clock = {"now": t0}
    said: list[str] = []
    stop = threading.Event()
    serving = threading.Thread(target=run_local, args=([],), daemon=True, kwargs={
        "report_dir": None, "say": said.append, "serve": True, "serve_clock": lambda: clock["now"], "stop": stop})
    serving.start()
    try:
        _wait_for(lambda: main(["camera", "list", "--local", "--json"]) == 0, "the serving run to start")
        assert [c["camera_id"] for c in _json_array(capsys.readouterr().out)] == ["cam1"]
        # cam2 is unknown to it: push's stream is missing, upload refuses, show says how to add it (exit 1, one line)
        assert main(["camera", "show", "cam2", "--local"]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "videoalert camera add cam2 --local" in error

        # When cam2 is added to the running emulator
        assert main(["camera", "add", "cam2", "--timezone", "Europe/Paris", "--local", "--json"]) == 0
        added = _json_object(capsys.readouterr().out)
        assert added["stream_name"] == "videoalert-cam2" and added["stream_created"] is True
        assert added["producer_policy"]["Statement"][0]["Resource"] == added["stream_arn"]
        # (adding it again changes nothing and says so: exit 1, one line)
        assert main(["camera", "add", "cam2", "--local"]) == 1
        assert "registered already" in capsys.readouterr().err
        # and a real person video is pushed into its stream, in the minute after T
        minute = t0 + timedelta(minutes=1)
        assert main(["push", "cam2", str(person), "--local", "--start", minute.isoformat(), "--no-progress"]) == 0
        capsys.readouterr()
        clock["now"] = minute + timedelta(minutes=2, seconds=5)

        # Then the serving dispatcher (never restarted) cuts cam2's minute, the model finds the person, it alerts
        def decided() -> list[dict]:
            assert main(["list", "--camera", "cam2", "--local", "--json"]) == 0
            return [r for r in _json_array(capsys.readouterr().out) if r["status"] == "DONE"]

        (record,) = _wait_for(decided, "cam2's minute to be decided", timeout_s=240)
        assert record["video_id"] == f"cam2-{minute:%Y%m%dT%H%M%S}Z" and record["decision"] == "ALERT"
        _wait_for(lambda: any(m.startswith("ALERT: Person detected on cam2") for m in said),
                  "the alert on the subscribed queue")
        # and `camera show` reports its stream, its newest fragment, the clip and the alert
        assert main(["camera", "show", "cam2", "--local", "--json"]) == 0
        shown = _json_object(capsys.readouterr().out)
        assert shown["state"] == "ONLINE" and shown["stream"]["status"] == "ACTIVE" and shown["last_fragment"]
        assert shown["last_clip"]["video_id"] == shown["last_alert"]["video_id"] == record["video_id"]
        assert shown["timezone"] == "Europe/Paris" and shown["open_failures"] == {"failed": [], "overdue": []}
        assert main(["camera", "show", "cam2", "--local"]) == 0
        assert "last alert" in capsys.readouterr().out

        # When cam2 is removed (its stream kept), Then it is gone from the list and its clip stays listed
        assert main(["camera", "remove", "cam2", "--local"]) == 0
        assert "are kept" in capsys.readouterr().out
        assert main(["camera", "list", "--local", "--json"]) == 0
        assert [c["camera_id"] for c in _json_array(capsys.readouterr().out)] == ["cam1"]
        assert main(["list", "--camera", "cam2", "--local", "--json"]) == 0
        assert [r["video_id"] for r in _json_array(capsys.readouterr().out)] == [record["video_id"]]
        assert main(["camera", "remove", "cam2", "--local"]) == 1
        assert "unknown camera 'cam2'" in capsys.readouterr().err
    finally:
        stop.set()
        serving.join(timeout=30)


def _json_object(out: str) -> dict:
    """The command's JSON object (printed indented): the serving run's handlers share this process's stdout, so their
    one-line JSON logs may be around it."""
    start = 0 if out.startswith("{\n") else out.index("\n{\n") + 1
    return json.JSONDecoder().raw_decode(out, start)[0]
