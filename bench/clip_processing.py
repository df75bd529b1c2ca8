"""Clip processing time: the inference path (read, sample, preprocess, infer) against the naive path, interleaved."""
from __future__ import annotations

import argparse
import os

from .clips import CLIP_640, clip_1080p30
from .common import Stopwatch, fast_model_dir, machine, median, shipped_classifier, shipped_detector
from .models import torch_resnet18
from .naive import naive_score_clip

SHIPPED = ("inference path (shipped: a new camera's default rule's regions, the served model, 2 GOP decoders, "
           "decode || inference, 2 batches at once)")
WHOLE_FRAMES = "  same, whole frames only (regions=full, the previous default)"
PREVIOUS = "  same, one batch of 16 at a time (the previous shipped setting)"
ONE_VCPU = "  same, one vCPU (1 decoder, no pipeline)"
NAIVE = ("naive path (PyTorch 1 thread)", "naive path (PyTorch 2 threads)")


def fast_variants(model_dir):
    """Configurations of the inference path worth comparing: the shipped one (the handler's defaults) first."""
    from videoalert.domain.rule import Rule
    from videoalert_inference.model import file_kind, load_classifier, served_file

    shipped, ship = shipped_classifier(model_dir)
    defaults = dict(ship.scoring_options(), regions=Rule().regions, detector=shipped_detector(model_dir))
    sequential = dict(defaults, decoder_workers=1, pipeline=False)
    variants = {
        SHIPPED: dict(classifier=shipped, **defaults),
        WHOLE_FRAMES: dict(classifier=shipped, **dict(defaults, regions="full")),
        PREVIOUS: dict(classifier=shipped, **dict(defaults, inference_workers=1, batch_size=16)),
        ONE_VCPU: dict(classifier=shipped, **sequential),
    }
    if shipped.encoding != "plain":  # the same file's plain encoding: same scores, the other int8 kernels
        plain = load_classifier(model_dir, ship.model_file, intra_op_threads=ship.ort_threads, encoding="plain")
        variants["  same, plain int8 encoding, no AMX kernels (MODEL_ENCODING=plain)"] = dict(
            classifier=plain, **defaults
        )
    served = file_kind(shipped.card, ship.model_file or served_file(shipped.card))
    for kind, name in (shipped.card.get("files") or {}).items():
        if name and kind != served:
            other = load_classifier(model_dir, name, intra_op_threads=ship.ort_threads)
            variants[f"  same, {kind} model (MODEL_FILE={name})"] = dict(classifier=other, **defaults)
            variants[f"  same, {kind} model, one vCPU"] = dict(classifier=other, **sequential)
    variants["  same, ORT one thread per core, decoder frame threads auto, no pipeline"] = {
        "classifier": load_classifier(model_dir),
        "detector": defaults["detector"],
        "decoder_threads": 0,
        "decoder_workers": 1,
        "pipeline": False,
    }
    return variants


def run(runs: int = 3, clips: tuple[str, ...] = ("640x480", "1080p30")) -> dict:

    from videoalert_inference.scoring import ScoringRequest, score_clip

    model_dir, model_note = fast_model_dir()
    variants = fast_variants(model_dir)
    input_size = next(iter(variants.values()))["classifier"].spec.input_size
    naive_model = torch_resnet18()
    # The naive path scores the same inputs as the shipped one: with the default rule's tiles, it cuts them too.
    shipped_options = variants[SHIPPED]
    naive_regions = {}
    if shipped_options.get("regions") == "tiles":
        from videoalert_inference.tiles import TileGrid

        naive_regions = {"tile_grid": TileGrid(), "tile_every": shipped_options.get("tile_every", 1)}
    paths = {"640x480": CLIP_640, "1080p30": clip_1080p30()}
    results = {"machine_before": machine(), "model": model_note, "input_size": input_size, "runs": runs, "clips": {}}
    for name in clips:
        path = paths[name]
        data = path.read_bytes()
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        breakdown: dict[str, list[dict]] = {}
        frames = {}
        for _ in range(runs):  # interleaved: each round runs every variant once, so load hits all alike
            for label, threads in zip(NAIVE, (1, 2), strict=True):
                with Stopwatch() as sw:
                    naive = naive_score_clip(path, naive_model, input_size, torch_threads=threads,
                                             **naive_regions)
                times.setdefault(label, []).append(sw.seconds)
                cpu.setdefault(label, []).append(sw.cpu_seconds)
                frames[label] = len(naive)
            for label, v in variants.items():
                options = {k: o for k, o in v.items() if k not in ("classifier", "detector")}
                with Stopwatch() as sw:
                    # From the clip's bytes in memory, as the handler holds them after the S3 download.
                    result = score_clip(data, v["classifier"], ScoringRequest(1.0, 120, **options),
                                        detector=v.get("detector"))
                times.setdefault(label, []).append(sw.seconds)
                cpu.setdefault(label, []).append(sw.cpu_seconds)
                breakdown.setdefault(label, []).append(result.timings_ms)
                frames[label] = len(result.frames)
                stats = result.stats
        # The baseline is the faster naive variant, in wall time and in CPU time separately.
        naive_s = min(median(times[k]) for k in NAIVE)
        naive_cpu_s = min(median(cpu[k]) for k in NAIVE)
        results["clips"][name] = {
            "file": str(path),
            "size_bytes": len(data),
            "median_s": {k: round(median(v), 3) for k, v in times.items()},
            "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
            "median_cpu_s": {k: round(median(v), 3) for k, v in cpu.items()},
            "speedup_vs_naive": {k: round(naive_s / median(v), 2) for k, v in times.items() if k not in NAIVE},
            "cpu_speedup_vs_naive": {k: round(naive_cpu_s / median(v), 2) for k, v in cpu.items() if k not in NAIVE},
            "median_breakdown_ms": {
                k: {stage: round(median([b[stage] for b in bs]), 1) for stage in bs[0]} for k, bs in breakdown.items()
            },
            "frames": frames,
            # How much decoding the sampler avoided (last variant's run; the same plan for every variant).
            "decoder_work": {
                "packets": stats.packets,
                "packets_sent_to_decoder": stats.packets_sent,
                "frames_reconstructed": stats.frames_decoded,
            },
        }
    results["machine_after"] = machine()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clips", nargs="+", default=["640x480", "1080p30"])
    args = parser.parse_args()
    import json

    print(json.dumps(run(args.runs, tuple(args.clips)), indent=2))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
    main()
