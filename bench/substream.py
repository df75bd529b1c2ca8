"""An HD camera scored from its sub-stream (issue 34): CPU per clip and the decisions, main stream against sub-stream.

Run from the repo root:  nice -n 10 python -m bench.substream [--rounds 3] [--only example_01.mp4 ...]
Writes bench/results_substream.json and prints one row per video and the ratio.

Each shared real video (../shared/data/real/videos) is made into what an HD camera with a sub-stream sends: a
1920x1080 30 fps H.264 main stream (a keyframe every 2 s, no B-frames, as a camera's encoder) and a 640x360 sub-stream
of the same pictures (each 1080p frame scaled down, same timestamps, same keyframes), both cached in bench/.cache.
The sources are 640x360 to 1280x720, so the 1080p versions are upscaled: the decoder's work per frame is that of a
1080p stream (it decodes every macroblock), though a real camera's picture has more detail and a higher bitrate.

Both go through the inference function's own path, as the handler runs it: score_clip with the handler's settings
(InferenceSettings defaults, the worker's sample rate, detect regions, the released models), then the alert picture
(best_frame_jpeg). Main stream: scored and pictured from the 1080p clip, as today. Sub-stream: scored from the 640x360
clip; the picture is cut from the 1080p clip when the best entry reaches the model's threshold (an alert's picture
comes from the main stream), else from the sub-stream clip. CPU time is this process's (all threads); the two are
run paired and interleaved (the order alternates) for several rounds, and the median per video is kept.
"""
from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from .common import REPO, Stopwatch, cache_dir, machine, median, shipped_classifier, shipped_detector, write_json

sys.path.insert(0, str(REPO / "lambdas"))

REAL_VIDEOS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", REPO.parent / "shared" / "data")) / "real" / "videos"
MAIN_SIZE, SUB_SIZE, FPS, GOP_S = (1920, 1080), (640, 360), 30, 2


def _encoder(container: Any, size: tuple[int, int]) -> Any:
    stream = container.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    stream.time_base = Fraction(1, FPS)
    gop = FPS * GOP_S
    stream.codec_context.max_b_frames = 0
    stream.codec_context.gop_size = gop
    stream.options = {"preset": "veryfast", "crf": "23",
                      "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"}
    return stream


def camera_versions(source: Path, sub_size: tuple[int, int] = SUB_SIZE) -> tuple[Path, Path]:
    """(1080p30 main stream, 640x360 sub-stream) of one video, made once and cached: the source's frame on show at
    each 1/30 s, scaled to 1080p, and that 1080p frame scaled down for the sub-stream."""
    import av

    folder = cache_dir("substream")
    main, sub = folder / f"{source.stem}_1080p30.mp4", folder / f"{source.stem}_{sub_size[1]}p30.mp4"
    if main.exists() and sub.exists():
        return main, sub
    made_main = Path(str(main) + f".{sub_size[1]}.tmp")  # made again beside each sub-stream size, kept once
    with av.open(str(source)) as src, av.open(str(made_main), "w", format="mp4") as out_main, \
            av.open(str(sub) + ".tmp", "w", format="mp4") as out_sub:
        video = src.streams.video[0]
        enc_main, enc_sub = _encoder(out_main, MAIN_SIZE), _encoder(out_sub, sub_size)
        index, shown, origin, step = 0, None, None, 1 / float(video.average_rate or FPS)

        def emit_until(t: float) -> None:  # the frame on show, repeated (or dropped) to a 30 fps timeline
            nonlocal index
            while shown is not None and index / FPS < t:
                for picture, stream, out in zip(shown, (enc_main, enc_sub), (out_main, out_sub), strict=True):
                    picture.pts, picture.time_base = index, Fraction(1, FPS)
                    out.mux(stream.encode(picture))
                index += 1

        t = 0.0
        for frame in src.decode(video):
            t = float(frame.pts * video.time_base) if frame.pts is not None else (index + 1) / FPS
            origin = t if origin is None else origin
            emit_until(t - origin)
            big = frame.reformat(width=MAIN_SIZE[0], height=MAIN_SIZE[1], format="yuv420p", interpolation="BICUBIC")
            shown = (big, big.reformat(width=sub_size[0], height=sub_size[1], format="yuv420p",
                                       interpolation="AREA"))
        emit_until(t - (origin or 0.0) + step)
        for stream, out in ((enc_main, out_main), (enc_sub, out_sub)):
            out.mux(stream.encode(None))
    if main.exists():
        made_main.unlink()
    else:
        made_main.rename(main)
    Path(str(sub) + ".tmp").rename(sub)
    return main, sub


class ClipPath:
    """The inference function's path for one clip: score_clip with the handler's settings, then the best frame."""

    def __init__(self, regions: str | None = None) -> None:
        from videoalert.config.worker import WorkerSettings
        from videoalert_contract.inference import InferenceRequest

        self.classifier, self.settings = shipped_classifier(REPO / "models")
        self.detector = shipped_detector(REPO / "models")
        # What the camera worker asks for a stream minute (its sample rate, the default regions, a picture).
        self.request = InferenceRequest(video_id="bench", bucket="b", keys=("k",),
                                        sample_fps=WorkerSettings.sample_fps, best_frame=True,
                                        **({"regions": regions} if regions else {}))

    def run(self, scored: bytes, main: bytes) -> dict[str, Any]:
        """Score `scored`; the picture from `main` when the best entry reaches the threshold, else from `scored`."""
        from videoalert_inference.best_frame import best_entry, best_frame_jpeg
        from videoalert_inference.budget import WorkBudget
        from videoalert_inference.scoring import score_clip

        with Stopwatch() as watch:
            budget = WorkBudget(self.settings.limits)
            scores = score_clip(scored, self.classifier, self.settings.scoring_request(self.request),
                                detector=self.detector, budget=budget)
        with Stopwatch() as picture:
            entry = best_entry(scores.frames, (), ())
            from_main = entry is not None and entry.score >= self.classifier.threshold
            jpeg = None if entry is None else best_frame_jpeg([main if from_main else scored], entry, budget)
        return {"cpu_s": watch.cpu_seconds + picture.cpu_seconds, "wall_s": watch.seconds + picture.seconds,
                "score_cpu_s": watch.cpu_seconds, "picture_cpu_s": picture.cpu_seconds, "frames": scores.frames,
                "picture_bytes": len(jpeg or b""), "picture_from_main": from_main,
                "width": scores.video.width, "threshold": self.classifier.threshold}


def decision(frames: list[Any], threshold: float) -> dict[str, Any]:
    """The default rule's verdict on the scored frames (what the worker decides before the memory and cooldown)."""
    from videoalert.domain.rule import Rule, decide_frames
    from videoalert_contract.inference import FrameScore

    entries = [FrameScore(t=f.t, score=f.score, region=f.region, box=None if f.box is None else tuple(f.box))
               for f in frames]
    verdict = decide_frames(entries, Rule(), threshold)
    return {"decision": str(verdict.decision), "max_score": round(verdict.max_score, 4)}


def measure(videos: list[Path], rounds: int, say: Any = print, regions: str | None = None,
            sub_size: tuple[int, int] = SUB_SIZE) -> dict[str, Any]:
    path = ClipPath(regions)
    pairs = {v.name: camera_versions(v, sub_size) for v in videos}
    data = {name: (main.read_bytes(), sub.read_bytes()) for name, (main, sub) in pairs.items()}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {"main": [], "sub": []} for name in data}
    for r in range(rounds):
        for i, (name, (main, sub)) in enumerate(data.items()):
            order = ("main", "sub") if (r + i) % 2 == 0 else ("sub", "main")
            for variant in order:
                runs[name][variant].append(path.run(main if variant == "main" else sub, main))
        say(f"round {r + 1}/{rounds} done, load {os.getloadavg()[0]:.2f}")
    rows = []
    for name, by in runs.items():
        row: dict[str, Any] = {"video": name, "main_bytes": len(data[name][0]), "sub_bytes": len(data[name][1])}
        for variant, results in by.items():
            first = results[0]
            row[variant] = {"cpu_s": round(median([x["cpu_s"] for x in results]), 3),
                            "wall_s": round(median([x["wall_s"] for x in results]), 3),
                            "score_cpu_s": round(median([x["score_cpu_s"] for x in results]), 3),
                            "picture_cpu_s": round(median([x["picture_cpu_s"] for x in results]), 3),
                            "cpu_s_runs": [round(x["cpu_s"], 3) for x in results],
                            "frames_scored": len({f.t for f in first["frames"]}),
                            "picture_from_main": first["picture_from_main"], "width": first["width"],
                            **decision(first["frames"], first["threshold"])}
        row["cpu_ratio"] = round(row["main"]["cpu_s"] / row["sub"]["cpu_s"], 2)
        row["same_decision"] = row["main"]["decision"] == row["sub"]["decision"]
        rows.append(row)
    total_main = sum(r["main"]["cpu_s"] for r in rows)
    total_sub = sum(r["sub"]["cpu_s"] for r in rows)
    scoring_only = sum(r["main"]["score_cpu_s"] for r in rows) / sum(r["sub"]["score_cpu_s"] for r in rows)
    return {"rows": rows, "cpu_main_s": round(total_main, 3), "cpu_sub_s": round(total_sub, 3),
            "cpu_ratio_total": round(total_main / total_sub, 2), "cpu_ratio_scoring_only": round(scoring_only, 2),
            "median_cpu_ratio": round(median([r["cpu_ratio"] for r in rows]), 2),
            "same_decisions": all(r["same_decision"] for r in rows),
            "max_score_difference": round(max(abs(r["main"]["max_score"] - r["sub"]["max_score"]) for r in rows), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--regions", choices=["full", "tiles", "motion", "both", "detect"], default=None,
                        help="the rule's regions (default: the default rule's, detect)")
    parser.add_argument("--sub-height", type=int, default=SUB_SIZE[1], help="the sub-stream's height, 16:9 (360)")
    parser.add_argument("--only", nargs="*", default=[], help="only these video file names (default: all)")
    args = parser.parse_args()
    videos = [v for v in sorted(REAL_VIDEOS.glob("*.mp4")) if not args.only or v.name in args.only]
    before = machine()
    sub_size = (args.sub_height * 16 // 9 // 2 * 2, args.sub_height)
    result = measure(videos, args.rounds, regions=args.regions, sub_size=sub_size)
    out = {"machine_before": before, "machine_after": machine(), "rounds": args.rounds,
           "regions": args.regions or "detect (default)", "sub_size": list(sub_size), **result}
    suffix = (f"_{args.regions}" if args.regions else "") + ("" if sub_size == SUB_SIZE else f"_{sub_size[1]}p")
    write_json(REPO / "bench" / f"results_substream{suffix}.json", out)
    for row in result["rows"]:
        print(f"{row['video']:18} main {row['main']['cpu_s']:6.3f} s {row['main']['decision']:10} "
              f"max {row['main']['max_score']:.3f} | sub {row['sub']['cpu_s']:6.3f} s {row['sub']['decision']:10} "
              f"max {row['sub']['max_score']:.3f} | x{row['cpu_ratio']}")
    print(f"total CPU main {result['cpu_main_s']} s, sub {result['cpu_sub_s']} s: x{result['cpu_ratio_total']} "
          f"(scoring alone x{result['cpu_ratio_scoring_only']}) "
          f"(median per video x{result['median_cpu_ratio']}); same decisions: {result['same_decisions']}; "
          f"max score difference {result['max_score_difference']}")


if __name__ == "__main__":
    main()
