"""A strong plain baseline: about 60 lines of PyAV and ONNX Runtime that a careful engineer would write.

Whole frames at 1 fps, chosen by presentation time like the shipped path: demux first, then decode each GOP only up
to its last chosen frame, skip unchosen non-reference frames, swscale straight from YUV to the model's size, and one
ONNX Runtime batch with the same int8 file. No threads of its own (ONNX Runtime uses its default, one per core).
Issue 34 measured this against the shipped whole-frame path: level in CPU time, behind in wall time.
"""
from __future__ import annotations

import io
import math

import av

TOLERANCE_S = 1e-3


def strong_score_clip(data: bytes, classifier, sample_fps: float = 1.0) -> list[tuple[float, float]]:
    """(time, person score) of each sampled whole frame: the same frames the shipped sampler picks."""
    from videoalert_inference.preprocess import resize_frame, to_model_input

    period, size = 1.0 / sample_fps, classifier.spec.input_size
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        packets = [p for p in container.demux(stream) if p.size]  # demux everything first: cheap
        first = min(p.pts for p in packets if p.pts is not None)
        times = {p.pts: float((p.pts - first) * tb) for p in packets if p.pts is not None}
        chosen, target = {}, 0.0
        for pts, t in sorted(times.items(), key=lambda kv: kv[1]):  # first frame at or after each grid time
            if t + TOLERANCE_S >= target:
                chosen[pts] = t
                target += (math.floor((t + TOLERANCE_S - target) / period) + 1) * period
        keyframes = [i for i, p in enumerate(packets) if p.is_keyframe] or [0]
        gops = list(zip([0, *keyframes[1:]], [*keyframes[1:], len(packets)], strict=True))
        cc = stream.codec_context
        images, stamps = [], []
        for lo, hi in gops:
            needed = [i for i in range(lo, hi) if packets[i].pts in chosen]
            if not needed:
                continue
            for packet in [*packets[lo:needed[-1] + 1], None]:  # stop the GOP after its last chosen frame
                if packet is not None:
                    cc.skip_frame = "DEFAULT" if packet.pts in chosen else "NONREF"
                for frame in cc.decode(packet):
                    if frame.pts in chosen and frame.pts not in stamps:
                        stamps.append(frame.pts)
                        images.append(resize_frame(frame, size))
            cc.flush_buffers()
    scores = classifier.predict_batch(to_model_input(images, classifier.spec)).scores
    return sorted((round(chosen[pts], 3), float(s)) for pts, s in zip(stamps, scores, strict=True))


def run(runs: int = 5, clips: tuple[str, ...] = ("640x480", "1080p30")) -> dict:
    """The strong baseline, the shipped whole-frame path and the shipped default, interleaved round by round."""
    from videoalert_inference.scoring import score_clip

    from .clip_processing import SHIPPED, WHOLE_FRAMES, fast_variants
    from .clips import CLIP_640, clip_1080p30
    from .common import Stopwatch, fast_model_dir, machine, median

    model_dir, model_note = fast_model_dir()
    variants = fast_variants(model_dir)
    classifier = variants[SHIPPED]["classifier"]
    paths = {"640x480": CLIP_640, "1080p30": clip_1080p30()}
    results: dict = {"machine_before": machine(), "model": model_note, "runs": runs, "clips": {}}
    for name in clips:
        data = paths[name].read_bytes()
        wall: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        scores: dict[str, list[tuple[float, float]]] = {}
        for _ in range(runs):
            with Stopwatch() as sw:
                scores[BASELINE] = strong_score_clip(data, classifier)
            wall.setdefault(BASELINE, []).append(sw.seconds)
            cpu.setdefault(BASELINE, []).append(sw.cpu_seconds)
            for label in (WHOLE_FRAMES, SHIPPED):
                options = {k: o for k, o in variants[label].items() if k != "classifier"}
                with Stopwatch() as sw:
                    result = score_clip(data, classifier, 1.0, 120, **options)
                wall.setdefault(label, []).append(sw.seconds)
                cpu.setdefault(label, []).append(sw.cpu_seconds)
                best: dict[float, float] = {}
                for frame in result.frames:
                    best[frame.t] = max(best.get(frame.t, 0.0), frame.score)
                scores[label] = sorted(best.items())
        base_wall, base_cpu = median(wall[BASELINE]), median(cpu[BASELINE])
        whole = dict(scores[WHOLE_FRAMES])
        results["clips"][name] = {
            "median_wall_s": {k: round(median(v), 3) for k, v in wall.items()},
            "median_cpu_s": {k: round(median(v), 3) for k, v in cpu.items()},
            "wall_ratio_baseline_over": {k: round(base_wall / median(v), 2) for k, v in wall.items() if k != BASELINE},
            "cpu_ratio_baseline_over": {k: round(base_cpu / median(v), 2) for k, v in cpu.items() if k != BASELINE},
            "frames": {k: len(v) for k, v in scores.items()},
            "same_frames_as_whole_frame_path": [t for t, _ in scores[BASELINE]] == sorted(whole),
            "max_score_difference_vs_whole_frame_path": round(
                max((abs(s - whole.get(t, -1.0)) for t, s in scores[BASELINE]), default=0.0), 6),
        }
    results["machine_after"] = machine()
    return results


BASELINE = "strong baseline (plain PyAV + ONNX Runtime, one batch)"


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clips", nargs="+", default=["640x480", "1080p30"])
    args = parser.parse_args()
    print(json.dumps(run(args.runs, tuple(args.clips)), indent=2))


if __name__ == "__main__":
    main()
