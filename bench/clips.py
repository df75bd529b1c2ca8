"""The benchmark clips: the shared 640x480 10 fps clip, and a generated 60 s 1920x1080 30 fps clip (cached)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import SHARED_CLIPS, cache_dir

CLIP_640 = SHARED_CLIPS / "human_01.mp4"
GOP_FRAMES = 60  # a keyframe every 2 s, no B-frames: the shape IP cameras and KVS producer pipelines commonly send


def clip_1080p30(source: Path = CLIP_640) -> Path:
    """human_01 upscaled to 1920x1080, each 10 fps frame shown 3 times at 30 fps with fresh sensor noise, H.264."""
    target = cache_dir() / "clip_1080p30.mp4"
    if target.exists():
        return target
    import av
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    # A few noise fields, cycled: fresh noise per frame is what keeps real footage from compressing to nothing.
    noise = [rng.normal(0, 3, (1080, 1920, 3)).astype(np.int16) for _ in range(7)]
    partial = target.with_suffix(".partial.mp4")
    with av.open(str(source)) as src, av.open(str(partial), mode="w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.codec_context.gop_size = GOP_FRAMES
        stream.codec_context.max_b_frames = 0
        stream.codec_context.options = {"preset": "veryfast", "crf": "23", "keyint_min": str(GOP_FRAMES),
                                        "sc_threshold": "0"}
        n = 0
        for frame in src.decode(video=0):
            big = cv2.resize(frame.to_ndarray(format="rgb24"), (1920, 1080), interpolation=cv2.INTER_LINEAR)
            for _ in range(3):
                noisy = np.clip(big + noise[n % len(noise)], 0, 255).astype(np.uint8)
                out = av.VideoFrame.from_ndarray(noisy, format="rgb24")
                out.pts, out.time_base = n, Fraction(1, 30)
                dst.mux(stream.encode(out))
                n += 1
        dst.mux(stream.encode(None))
    partial.rename(target)
    return target
