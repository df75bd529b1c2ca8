"""PutMedia acknowledgements parsed as they arrive, whatever the read boundaries, and pacing of fragments."""
from __future__ import annotations

import json

import pytest

from videoalert_cli.kvs.acks import AckParser
from videoalert_cli.kvs.fragments import Fragment
from videoalert_cli.kvs.putmedia import Pacer

EVENTS = [
    {
        "EventType": "BUFFERING",
        "FragmentTimecode": 1763924400000,
        "FragmentNumber": "91343852333181432392682062607743920146264000001",
    },
    {
        "EventType": "RECEIVED",
        "FragmentTimecode": 1763924400000,
        "FragmentNumber": "91343852333181432392682062607743920146264000001",
    },
    {
        "EventType": "PERSISTED",
        "FragmentTimecode": 1763924400000,
        "FragmentNumber": "91343852333181432392682062607743920146264000001",
    },
    {"EventType": "IDLE"},
    {
        "EventType": "ERROR",
        "FragmentTimecode": 1763924402000,
        "FragmentNumber": "91343852333181432392682062607743920146264000002",
        "ErrorId": 4004,
    },
]


def test_acks_split_across_reads_are_parsed_once_each_in_order():
    # Given the ack stream, with and without newlines between objects, cut into 7-byte reads
    for separator in ("", "\n", "\r\n"):
        wire = separator.join(json.dumps(e) for e in EVENTS).encode()
        parser = AckParser()
        # When fed piece by piece
        acks = [ack for i in range(0, len(wire), 7) for ack in parser.feed(wire[i : i + 7])]
        # Then each event comes out once, complete
        assert [a.event_type for a in acks] == ["BUFFERING", "RECEIVED", "PERSISTED", "IDLE", "ERROR"]
        assert acks[2].fragment_timecode == 1763924400000 and acks[2].fragment_number.endswith("000001")
        assert acks[3].fragment_timecode is None


def test_error_ack_is_described_with_its_kvs_code_and_meaning():
    # Given an ERROR acknowledgement
    (ack,) = AckParser().feed(json.dumps(EVENTS[-1]).encode())
    # When described for the user, Then the numeric id, its name and meaning are all there
    text = ack.describe_error()
    assert "4004" in text and "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS" in text and "1763924402000" in text
    # And an undocumented id is still reported, not hidden
    (odd,) = AckParser().feed(b'{"EventType":"ERROR","ErrorId":4999}')
    assert "4999" in odd.describe_error()


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def fragment(end_offset_ms: int) -> Fragment:
    return Fragment(timecode_ms=0, end_offset_ms=end_offset_ms, frame_count=1, data=b"")


def test_realtime_pacing_sends_each_fragment_when_its_last_frame_would_have_been_captured():
    # Given a file paced in real time
    clock = FakeClock()
    pacer = Pacer(realtime=True, clock=clock, sleep=clock.sleep)
    # When three 2 s fragments are sent, Then each waits for its end time on the wall clock
    for end in (1900, 3900, 5900):
        pacer.wait(fragment(end))
    assert clock.sleeps == [1.9, 2.0, 2.0]


def test_fast_push_is_held_to_five_fragments_per_second():
    # Given a file pushed as fast as allowed
    clock = FakeClock()
    pacer = Pacer(realtime=False, clock=clock, sleep=clock.sleep)
    # When four fragments are ready at once, Then they go out 0.2 s apart (PutMedia's per-stream limit)
    for end in (1900, 3900, 5900, 7900):
        pacer.wait(fragment(end))
    assert clock.sleeps == [0.2, 0.2, 0.2]


def test_ctrl_c_during_a_live_push_finishes_the_session_cleanly():
    # Given a source that is interrupted by the user after two fragments
    from videoalert_cli.kvs.putmedia import PutMediaResult, stream_fragments

    class RecordingSession:
        def __init__(self):
            self.result, self.sent, self.finished = PutMediaResult(), [], False

        def open(self):
            pass

        def send(self, data):
            self.sent.append(data)
            return True

        def send_fragment(self, fragment):
            self.sent.append(fragment.data)
            self.result.fragments_sent += 1
            return True

        def finish(self):
            self.finished = True
            return self.result

    def camera():
        yield Fragment(1000, 0, 1, b"cluster-1")
        yield Fragment(3000, 2000, 1, b"cluster-2")
        raise KeyboardInterrupt

    session = RecordingSession()
    clock = FakeClock()
    # When streamed, Then the session is finished (body ended, acks collected) and the result says so
    result = stream_fragments(
        lambda: session, b"header", camera(), Pacer(realtime=False, clock=clock, sleep=clock.sleep)
    )
    assert session.finished and session.sent == [b"header", b"cluster-1", b"cluster-2"]
    assert result.interrupted and result.fragments_sent == 2 and result.last_timecode_ms == 3000


def test_a_source_failing_mid_stream_still_finishes_what_was_sent_then_reports():
    # Given a camera that drops after one fragment
    from videoalert_cli.kvs.putmedia import PutMediaResult, stream_fragments
    from videoalert_cli.kvs.source import SourceError

    finished = []

    class Session:
        result = PutMediaResult()

        def open(self):
            pass

        def send(self, data):
            return True

        def send_fragment(self, fragment):
            self.result.fragments_sent += 1
            return True

        def finish(self):
            finished.append(True)
            return self.result

    def camera():
        yield Fragment(1000, 0, 1, b"cluster-1")
        raise SourceError("error while reading 'rtsp://cam': connection reset")

    clock = FakeClock()
    # When streamed, Then the session is finished first and the source's error reaches the user
    with pytest.raises(SourceError, match="connection reset"):
        stream_fragments(lambda: Session(), b"header", camera(), Pacer(realtime=False, clock=clock, sleep=clock.sleep))
    assert finished == [True]
