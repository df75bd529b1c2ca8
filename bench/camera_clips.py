"""Camera-shaped test clips made from the shared real videos (cached): H.264 without B-frames, a keyframe every 2 s
(the shape IP cameras and KVS producers send), at a camera's size and frame rate.

    python -m bench.camera_clips            # makes every clip the CPU benches use
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import SHARED_CLIPS, cache_dir

REAL_VIDEOS = SHARED_CLIPS.parent / "real" / "videos"
GOP_S = 2.0


def camera_clip(source: Path, width: int, height: int, fps: int = 30, gop_s: float = GOP_S) -> Path:
    """`source` scaled to width x height (squashed if its aspect differs) at `fps` (each output frame shows the latest
    source frame at its time), H.264 (libx264 veryfast, crf 23), a keyframe every gop_s, no B-frames."""
    target = cache_dir("camera") / f"{source.stem}_{width}x{height}_{fps}fps_gop{gop_s:g}s.mp4"
    if target.exists():
        return target
    import av

    gop = round(gop_s * fps)
    partial = target.with_suffix(".partial.mp4")
    with av.open(str(source)) as src, av.open(str(partial), mode="w") as dst:
        stream = dst.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.max_b_frames = 0
        stream.codec_context.options = {"preset": "veryfast", "crf": "23", "keyint_min": str(gop),
                                        "sc_threshold": "0"}
        n, first = 0, None
        for frame in src.decode(video=0):
            t = float(frame.time or 0.0)
            first = t if first is None else first
            scaled = frame.reformat(width=width, height=height, format="yuv420p", interpolation="BICUBIC")
            while n / fps <= t - first + 1e-6:  # repeat the source frame until the next one's time
                out = av.VideoFrame.from_ndarray(scaled.to_ndarray(), format="yuv420p")
                out.pts, out.time_base = n, Fraction(1, fps)
                dst.mux(stream.encode(out))
                n += 1
        dst.mux(stream.encode(None))
    partial.rename(target)
    return target


def cpu_clips() -> dict[str, Path]:
    """The clips the CPU-per-clip bench compares on: the issue's 640x480 clip as shared (10 fps, a keyframe every 25 s,
    B-frames), the same camera-shaped (2 s GOP), the 60 s real street film at 1080p30 (2 s GOP) and its sub-stream."""
    human = SHARED_CLIPS / "human_01.mp4"
    return {
        "640x480 (shared human_01: 10 fps, 25 s GOP, B-frames)": human,
        "640x480 camera (human_01, 10 fps, 2 s GOP)": camera_clip(human, 640, 480, fps=10),
        "1080p30 camera (real awbc_sample, 2 s GOP)": camera_clip(REAL_VIDEOS / "awbc_sample.mp4", 1920, 1080),
        "640x360 sub-stream of that camera (awbc_sample, 30 fps, 2 s GOP)": substream_clip(),
    }


def substream_clip() -> Path:
    """The same 60 s film as a 640x360 sub-stream would carry it (30 fps, 2 s GOP): what an HD camera's scoring
    stream costs per clip (issue 34)."""
    return camera_clip(REAL_VIDEOS / "awbc_sample.mp4", 640, 360)


def real_1080p30() -> list[Path]:
    """Every shared real video as a 1080p30 camera clip (2 s GOP): the decisions check's HD set."""
    return [camera_clip(path, 1920, 1080) for path in sorted(REAL_VIDEOS.glob("*.mp4"))]


if __name__ == "__main__":
    for name, path in cpu_clips().items():
        print(name, path)
    for path in real_1080p30():
        print(path)
