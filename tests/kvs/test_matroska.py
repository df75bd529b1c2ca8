"""The Matroska stream push builds, checked element by element and by demuxing it with PyAV."""
from __future__ import annotations

import io

import av
import numpy as np
import pytest
from kvs_test_support import decoded_frames, parse, simple_block

from videoalert_cli.kvs import ebml
from videoalert_cli.kvs.fragments import pack_fragments
from videoalert_cli.kvs.h264 import NAL_SPS, build_avcc_record, split_annexb, split_avcc
from videoalert_cli.kvs.source import SourceError, VideoSource

START_MS = 1_763_924_400_000  # 2025-11-23T19:00:00Z


def pack(path: str, *, reencode: str = "auto", fragment_seconds: float = 2.0) -> tuple[bytes, VideoSource]:
    with VideoSource(path, reencode=reencode, fragment_seconds=fragment_seconds) as source:
        fragments = list(pack_fragments(source.frames(), start_ms=START_MS, fragment_ms=int(fragment_seconds * 1000)))
        header = ebml.stream_header(ebml.VideoTrack(source.codec_private, source.width, source.height))
    return header + b"".join(f.data for f in fragments), source


def segment_of(data: bytes):
    ebml_header, segment = parse(data)
    return ebml_header, segment


def test_h264_clip_is_remuxed_into_one_cluster_per_fragment_on_the_producer_clock(h264_clip):
    # Given a real H.264 MP4 with a keyframe every second
    # When it is packed into 2 s fragments starting at a known producer time
    data, source = pack(h264_clip)

    # Then it was remuxed, not re-encoded, and the EBML structure is what PutMedia ingests
    assert source.reencode is False
    header, segment = segment_of(data)
    assert header.one("DocType").data == b"matroska"
    assert segment.name == "Segment" and segment.size is None  # unknown size: a live stream
    assert segment.one("Info").one("TimecodeScale").uint == 1_000_000
    (track,) = segment.one("Tracks").find("TrackEntry")
    assert track.one("CodecID").data == b"V_MPEG4/ISO/AVC"
    assert track.one("TrackNumber").uint == 1 and track.one("TrackType").uint == 1
    avcc = track.one("CodecPrivate").data
    assert avcc[0] == 1 and avcc[4] & 0x03 == 3  # avcC version 1, 4-byte NAL lengths
    assert (track.one("Video").one("PixelWidth").uint, track.one("Video").one("PixelHeight").uint) == (320, 240)

    # And there is one cluster per 2 s, each starting with a keyframe, timed from the producer start
    clusters = segment.find("Cluster")
    assert [c.one("Timecode").uint for c in clusters] == [START_MS, START_MS + 2000, START_MS + 4000]
    for cluster in clusters:
        blocks = [simple_block(b) for b in cluster.find("SimpleBlock")]
        assert blocks[0].keyframe and blocks[0].relative_ms == 0
        assert {b.track for b in blocks} == {1}
        assert sorted(b.relative_ms for b in blocks) == list(range(0, 2000, 100))
        # Samples are AVCC: length-prefixed NAL units that exactly fill the block
        assert all(split_avcc(b.payload) for b in blocks)


def test_packed_stream_demuxes_with_pyav_to_the_same_pictures(h264_clip):
    # Given the Matroska stream made from a real clip
    data, _ = pack(h264_clip)

    # When FFmpeg (through PyAV) demuxes and decodes it
    frames = decoded_frames(data)

    # Then every frame is there and, remuxed without re-encoding, identical to the source's
    source_frames = decoded_frames(h264_clip)
    assert len(frames) == len(source_frames) == 60
    assert all(np.array_equal(a, b) for a, b in zip(frames, source_frames, strict=True))
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        keyframe_times = [float(p.pts * stream.time_base) for p in container.demux(stream) if p.is_keyframe]
    assert keyframe_times[:1] == [pytest.approx(START_MS / 1000)]


def test_a_source_that_is_not_h264_is_reencoded_with_a_keyframe_per_fragment(mpeg4_clip):
    # Given an MPEG-4 Part 2 clip (not H.264)
    # When it is packed into 1 s fragments
    data, source = pack(mpeg4_clip, fragment_seconds=1.0)

    # Then it was re-encoded to H.264 and every 1 s cluster starts with a keyframe
    assert source.reencode is True and source.input_codec == "mpeg4"
    _, segment = segment_of(data)
    clusters = segment.find("Cluster")
    assert [c.one("Timecode").uint - START_MS for c in clusters] == [0, 1000, 2000, 3000, 4000]
    for cluster in clusters:
        blocks = [simple_block(b) for b in cluster.find("SimpleBlock")]
        assert blocks[0].keyframe and not any(b.keyframe for b in blocks[1:])
    # And the codec private data carries the encoder's own SPS and PPS
    avcc = segment.one("Tracks").one("TrackEntry").one("CodecPrivate").data
    assert avcc[5] & 0x1F == 1 and avcc[8] & 0x1F == NAL_SPS
    frames = decoded_frames(data)
    assert len(frames) == 50 and frames[0].shape == (240, 320, 3)
    # And with re-encoding forbidden the user is told what to change
    with pytest.raises(SourceError, match="mpeg4, not H.264.*--reencode auto"):
        pack(mpeg4_clip, reencode="never")


def test_keyframes_too_far_apart_are_reencoded_in_auto_mode_and_refused_in_never_mode(long_gop_clip):
    # Given an H.264 clip whose only keyframe is at the start (12 s GOP, over KVS's 10 s fragment limit)
    # When packed with the default mode, Then it is re-encoded into 2 s fragments
    data, source = pack(long_gop_clip)
    assert source.reencode is True
    _, segment = segment_of(data)
    assert len(segment.find("Cluster")) == 6

    # When re-encoding is forbidden, Then a clear error says why and what to do
    with pytest.raises(SourceError, match="more than 10 s apart.*--reencode always"):
        pack(long_gop_clip, reencode="never")


def test_unreadable_source_is_a_clear_error(tmp_path):
    # Given a file that is not video
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video")
    # When it is opened, Then the error names the source
    with pytest.raises(SourceError, match="cannot read video source"):
        VideoSource(str(bogus))


def test_annexb_and_avcc_conversions_round_trip():
    # Given Annex B data with 4- and 3-byte start codes
    sps, pps, idr = b"\x67\x64\x00\x1f\xac", b"\x68\xee\x3c\x80", b"\x65\x88\x84\x00\x33"
    annexb = b"\x00\x00\x00\x01" + sps + b"\x00\x00\x01" + pps + b"\x00\x00\x00\x01" + idr
    # When split, Then the NAL units come back intact
    assert split_annexb(annexb) == [sps, pps, idr]
    # And the avcC record names the SPS profile and holds both parameter sets
    record = build_avcc_record([sps], [pps])
    assert record[:4] == b"\x01\x64\x00\x1f" and record[5] & 0x1F == 1 and sps in record and pps in record
    assert record[-len(pps) - 3] == 1 and record[-len(pps):] == pps


def test_a_file_whose_timestamps_go_backwards_is_pushed_with_its_frames_by_position(tmp_path):
    # Given an MKV of 100 frames stamped from 20 s down to 0.1 s (an odd file; the upload path samples it by position)
    from fixtures.hostile_media import mkv_with_timestamps

    path = tmp_path / "backwards.mkv"
    path.write_bytes(mkv_with_timestamps([20_000 - 100 * i for i in range(100)]))
    # When it is packed for PutMedia
    with VideoSource(str(path)) as source:
        offsets = [frame.offset_ms for frame in source.frames()]
    # Then it is re-encoded with frame n at n / fps, as the inference function samples it: time only moves forward
    assert source.reencode and source.by_position
    assert len(offsets) == 100 and offsets == sorted(offsets) and len(set(offsets)) == 100
    # And a remux, which would keep the backwards clock, is refused with the reason
    with pytest.raises(SourceError, match="timestamps"):
        VideoSource(str(path), reencode="never")


def test_a_damaged_mpegts_file_is_pushed_up_to_its_damage(tmp_path):
    from fixtures.damaged_media import person_clip, ts_with_stream_appearing

    path = tmp_path / "damaged.ts"
    path.write_bytes(ts_with_stream_appearing(person_clip("ts")))
    with VideoSource(str(path)) as source:
        assert len(list(source.frames())) == 40
