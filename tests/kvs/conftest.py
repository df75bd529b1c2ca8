"""Fixtures for the KVS tests: real clips encoded with PyAV once per session."""
from __future__ import annotations

import pytest
from kvs_test_support import make_clip


@pytest.fixture(scope="session")
def h264_clip(tmp_path_factory) -> str:
    """6 s, 10 fps, H.264 in MP4 with a keyframe every second: remuxed as it is."""
    return make_clip(tmp_path_factory.mktemp("clips") / "h264.mp4", seconds=6, gop_frames=10)


@pytest.fixture(scope="session")
def mpeg4_clip(tmp_path_factory) -> str:
    """5 s of MPEG-4 Part 2 video in AVI: not H.264, so it must be re-encoded."""
    return make_clip(tmp_path_factory.mktemp("clips") / "mpeg4.avi", seconds=5, codec="mpeg4", gop_frames=50)


@pytest.fixture(scope="session")
def long_gop_clip(tmp_path_factory) -> str:
    """12 s of H.264 with a single keyframe: too long a fragment for KVS unless re-encoded."""
    return make_clip(tmp_path_factory.mktemp("clips") / "long_gop.mp4", seconds=12, gop_frames=1000,
                     size=(160, 120))
