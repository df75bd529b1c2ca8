"""`make eval`: what the product decides on the real validation split and every shared video.

`python -m videoalert_training.evaluate_real --model-dir models --data ../shared/data [--regions detect|full|...]
[--limit N] [--json F]`

Everything goes through the inference container's clip path: a clip (H.264, decoded by PyAV) scored by `score_clip`
with the handler's settings (`InferenceSettings.from_env({})`: its batch size, workers, limits, tile cadence),
1 fps sampling, the rule's regions (with the person detector for "detect"), and the dispatcher's decision rule
(`videoalert.domain.rule.decide_frames`) with a new camera's default rule. So a figure here is what a camera gets.

- No-person scenes: each validation photo of a person-free scene folder made into a 12 s clip of a fixed camera
  watching it (still_clips: a slow pan/zoom or sensor noise with a brightness drift); the clip's decision (false
  alerts), and per frame (its best region) how many reach the threshold. Horse photos are reported apart.
- Person recall: each validation photo of a person scene is a 1 s clip of the still, scored on one frame (every
  frame is the same picture; a real clip's first frame gets the same regions); found when the frame's best region
  reaches the threshold. With ground-truth boxes (CamVid, COCO): recall by the tallest person's height, and per
  person whether a region over the threshold localizes it (IoU >= 0.3 or >= 60 % of the person's box covered).
- Frame precision: person-scene frames over the threshold against no-person-scene frames over it.
- Every shared video (real/videos, clips): the decision, its max score and frames over the threshold.
- The horse-or-human CGI renders, whole image (the model's own figure, not the clip path).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from videoalert_contract.inference import DEFAULT_MAX_FRAMES, DEFAULT_MIN_SAMPLES, RegionMode
from videoalert_inference.model import PersonClassifier, load_classifier
from videoalert_inference.scoring import ClipScores, ScoringRequest, score_clip
from videoalert_inference.settings import InferenceSettings

from .box_match import people_found
from .clip_measures import Rate, best_per_frame, boxes_over, frames_over, precision
from .data import list_split, read_rgb
from .person_boxes import height_bucket, person_boxes
from .real_data import RealImage, _pair_keys, list_real
from .still_clips import static_clip, still_clip, variant_of

SAMPLE_FPS = 1.0
# Person-free scene folders (each viewed whole, README of real/); horse photos are reported apart.
NO_PERSON_SCENES = ("not_person/houses_frontal", "not_person/houses_interior", "not_person/alpr_cars",
                    "not_person/imagenet_sample", "not_person/cats_asirra", "not_person/coco128",
                    "not_person/camvid_roads")
HORSES = ("horse/weizmann",)
BOXED_PERSON_SCENES = ("person/camvid_street", "person/coco128")
PERSON_SCENES = ("person/street_640x480",)
PERSON_CROPS = ("person/inria_96x160",)
HEIGHT_BUCKETS = ("under_10pct", "10_25pct", "over_25pct")
NO_BOX = "no_box"  # an annotated image whose people are all too small to box (CamVid blobs under 20 px)


@dataclass
class ProductPath:
    """The container's clip path: its classifier, settings and (for "detect") its person detector."""

    classifier: PersonClassifier
    regions: str
    options: dict[str, Any]
    detector_version: str | None = None

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    def score(self, video: bytes | str, min_samples: int = DEFAULT_MIN_SAMPLES) -> ClipScores:
        options = {k: v for k, v in self.options.items() if k != "detector"}
        request = ScoringRequest(SAMPLE_FPS, DEFAULT_MAX_FRAMES, regions=self.regions, min_samples=min_samples,
                                 **options)
        return score_clip(video, self.classifier, request, detector=self.options.get("detector"))


def product_path(model_dir: Path, regions: str, model_file: str | None = None) -> ProductPath:
    """The classifier (and detector) loaded as the handler loads them, and score_clip's options from its settings."""
    settings = InferenceSettings.from_env({})
    classifier = load_classifier(model_dir, model_file, intra_op_threads=settings.ort_threads,
                                 encoding=settings.model_encoding)
    options = settings.scoring_options()
    detector_version = None
    if regions == RegionMode.DETECT:
        from videoalert_inference.detector import DETECTOR_CARD_FILE, load_detector
        from videoalert_inference.settings import REPO_MODEL_DIR

        # The detector beside the model, else the released one (a training run's directory has only the classifier).
        detector_dir = model_dir if (model_dir / DETECTOR_CARD_FILE).exists() else REPO_MODEL_DIR
        detector = load_detector(detector_dir, intra_op_threads=settings.ort_threads)
        options["detector"] = detector
        detector_version = detector.version
    return ProductPath(classifier, regions, options, detector_version)


def validation_images(real_root: Path, source: str, limit: int | None) -> list[RealImage]:
    """The source's validation images; INRIA crops one of each mirror pair (the mirror is the same person)."""
    label = 1 if source.startswith("person/") else 0
    kind = "crop" if source in PERSON_CROPS else "frame"
    images = list_real(real_root, "validation", {source: (label, kind)})
    if kind == "crop":
        pair = _pair_keys([i.path.name for i in images])
        first = {}
        for image in images:
            first.setdefault(pair[image.path.name], image)
        images = list(first.values())
    return images[:limit] if limit else images


# --- the work, item by item: in worker processes that each load the product path once -----------------------------

_worker: dict[str, Any] = {}


def _init_worker(model_dir: Path, regions: str, model_file: str | None, rule: Any, real_root: Path) -> None:
    _worker.update(path=product_path(model_dir, regions, model_file), rule=rule, real_root=real_root)


def scene_result(item: RealImage) -> dict[str, Any]:
    """One person-free photo as a 12 s still clip through the product: the clip's decision and its frames."""
    from videoalert.domain.rule import Decision, decide_frames

    path: ProductPath = _worker["path"]
    scores = path.score(still_clip(read_rgb(item.path), item.sha256))
    verdict = decide_frames(scores.frames, _worker["rule"], path.threshold)
    over, scored = frames_over(scores.frames, path.threshold)
    return {"file": item.path.name, "variant": variant_of(item.sha256), "alert": verdict.decision == Decision.ALERT,
            "max_score": round(scores.max_score, 4), "frames_over_threshold": over, "frames": scored,
            "region": verdict.region}


def person_result(item: RealImage) -> dict[str, Any]:
    """One person photo as a static clip of one cadence cycle: per frame found or not, and per person and frame
    whether a region over the threshold localizes it (for the images with ground-truth boxes)."""
    path: ProductPath = _worker["path"]
    cycle = still_cycle(path)
    entries = path.score(static_clip(read_rgb(item.path), float(cycle)), min_samples=1).frames
    best = best_per_frame(entries)
    found = sum(score >= path.threshold for score in best.values())
    result: dict[str, Any] = {"file": item.path.name, "found": found, "frames": len(best),
                              "best_score": round(max(best.values(), default=0.0), 4), "people": None}
    people = person_boxes(_worker["real_root"], item.source, item.path.name) if item.source in BOXED_PERSON_SCENES \
        else None
    if people is not None:
        result["tallest"] = height_bucket(max(b[3] - b[1] for b in people)) if people else NO_BOX
        result["people"] = [(height_bucket(person[3] - person[1]), sum(
            people_found([person], boxes_over([e for e in entries if e.t == t], path.threshold))[0] for t in best))
            for person in people]
    return result


def video_result(job: tuple[str, str, str, bool]) -> dict[str, Any]:
    """One labelled video through the product and the dispatcher's rule: the decision a camera would get."""
    from videoalert.domain.rule import Decision, decide_frames

    video, name, label, expected = job
    path: ProductPath = _worker["path"]
    started = time.perf_counter()
    clip = path.score(video)
    decision = decide_frames(clip.frames, _worker["rule"], path.threshold)
    over, scored = frames_over(clip.frames, path.threshold)
    return {"video": name, "label": label, "frames": scored, "decision": str(decision.decision),
            "region": decision.region, "frames_over_threshold": over, "max_score": round(clip.max_score, 4),
            "expected": "ALERT" if expected else "NO_ALERT", "ok": (decision.decision == Decision.ALERT) == expected,
            "seconds": round(time.perf_counter() - started, 2)}


def video_jobs(data_root: Path, limit: int | None) -> list[tuple[str, str, str, bool]]:
    """Every labelled video: real/videos (person or both expected to alert) and clips (human expected to)."""
    jobs = []
    for folder, expected in ((data_root / "real" / "videos", lambda label: label in ("person", "both")),
                             (data_root / "clips", lambda label: label == "human")):
        with open(folder / "labels.csv", newline="") as handle:
            labels = sorted((row["file"], row["label"]) for row in csv.DictReader(handle))
        jobs += [(str(folder / name), f"{folder.name}/{name}", label, expected(label))
                 for name, label in (labels[:limit] if limit else labels)]
    return jobs


# --- the figures, from the items' results ------------------------------------------------------------------------


@dataclass
class SceneSource:
    clips: int = 0
    alerting: list[dict[str, Any]] = field(default_factory=list)
    frames: Rate = Rate(0, 0)
    max_score: float = 0.0
    variants: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Iterable[dict[str, Any]]) -> SceneSource:
        entry = cls()
        for r in results:
            entry.clips += 1
            entry.frames += Rate(r["frames_over_threshold"], r["frames"])
            entry.max_score = max(entry.max_score, r["max_score"])
            entry.variants[r["variant"]] = entry.variants.get(r["variant"], 0) + 1
            if r["alert"]:
                entry.alerting.append({k: r[k] for k in ("file", "variant", "max_score", "frames_over_threshold")})
        return entry

    def to_json(self) -> dict[str, Any]:
        return {"clips": self.clips, "alerting_clips": len(self.alerting),
                "alert_rate": Rate(len(self.alerting), self.clips).to_json(),
                "frames_over_threshold": self.frames.to_json(), "max_score": round(self.max_score, 4),
                "variants": self.variants, "alerting": sorted(self.alerting, key=lambda a: -a["max_score"])}


@dataclass
class PersonSource:
    frames: Rate = Rate(0, 0)  # frames whose best region reaches the threshold / frames scored
    images: Rate = Rate(0, 0)  # images with at least one such frame / images
    by_height: dict[str, Rate] = field(default_factory=dict)  # frames, by the image's tallest person
    people: dict[str, Rate] = field(default_factory=dict)  # person-frames localized, by the person's own height
    missed: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, results: Iterable[dict[str, Any]]) -> PersonSource:
        entry = cls()
        for r in results:
            entry.frames += Rate(r["found"], r["frames"])
            entry.images += Rate(int(r["found"] > 0), 1)
            if r["found"] < r["frames"]:
                entry.missed.append({k: r[k] for k in ("file", "found", "frames", "best_score")})
            if r["people"] is None:
                continue
            tallest = r["tallest"]
            entry.by_height[tallest] = entry.by_height.get(tallest, Rate(0, 0)) + Rate(r["found"], r["frames"])
            for bucket, localized in r["people"]:
                entry.people[bucket] = entry.people.get(bucket, Rate(0, 0)) + Rate(localized, r["frames"])
        return entry

    def to_json(self) -> dict[str, Any]:
        return {"recall": self.frames.to_json(), "recall_any_frame": self.images.to_json(),
                "recall_by_tallest_person": {k: v.to_json() for k, v in sorted(self.by_height.items())},
                "localized_people_by_height": {k: v.to_json() for k, v in sorted(self.people.items())},
                "localized_people": sum(self.people.values(), Rate(0, 0)).to_json() if self.people else None,
                "missed": self.missed}


def still_cycle(path: ProductPath) -> int:
    """Sampled frames per person still: one cycle of the mode's cadence (the detector searches tiles, or tiles are
    scored, on every n-th sampled frame), so a still's recall is the average a camera gets over time."""
    if path.regions == RegionMode.DETECT:
        return max(1, int(path.options.get("detect_tile_every") or 1))
    if path.regions == RegionMode.TILES:
        return max(1, int(path.options.get("tile_every") or 1))
    return 1


# --- 5. renders (the model alone) ----------------------------------------------------------------------------------


def evaluate_renders(classifier: PersonClassifier, hoh_root: Path, limit: int | None = None) -> dict[str, Any]:
    """The horse-or-human validation renders, whole image (the classifier alone, not the clip path)."""
    items = list_split(hoh_root, "validation")
    if limit:
        items = [i for i in items if i.label == 0][:limit] + [i for i in items if i.label == 1][:limit]
    scores = np.concatenate([classifier.predict_images([read_rgb(i.path) for i in items[s:s + 64]]).scores
                             for s in range(0, len(items), 64)])
    labels = np.array([i.label for i in items])
    pred = scores >= classifier.threshold
    return {"images": len(items), "accuracy": float(np.mean(pred == (labels == 1))),
            "recall_person": float(np.mean(pred[labels == 1])), "specificity": float(np.mean(~pred[labels == 0]))}


# --- the whole report ----------------------------------------------------------------------------------------------


def frame_precision(people: dict[str, PersonSource], scenes: dict[str, SceneSource],
                    negatives: Iterable[str]) -> Rate:
    """Person-scene frames over the threshold vs no-person frames over it (each a frame's best region)."""
    true_positives = sum(p.frames.hits for p in people.values())
    false_positives = sum(scenes[s].frames.hits for s in negatives if s in scenes)
    return precision(true_positives, false_positives)


def evaluate(model_dir: Path, data_root: Path, regions: str | None, model_file: str | None = None,
             limit: int | None = None, workers: int = 2) -> dict[str, Any]:
    """Every figure of the report (format_report prints it); `workers` processes score the items."""
    from videoalert.domain.rule import Rule

    started, cpu_started = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 1)
        return now

    rule = Rule() if regions is None else Rule(regions=regions)
    real = data_root / "real" / "images"
    init = (model_dir, rule.regions, model_file, rule, real)
    _init_worker(*init)
    path: ProductPath = _worker["path"]
    scene_items = {s: validation_images(real, s, limit) for s in NO_PERSON_SCENES + HORSES}
    person_items = {s: validation_images(real, s, limit) for s in BOXED_PERSON_SCENES + PERSON_SCENES + PERSON_CROPS}
    pool = None
    if workers > 1:  # spawned, not forked: the parent's ONNX Runtime threads must not be copied mid-flight
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=init)

    def run(fn: Callable[[Any], dict[str, Any]], items: list[Any]) -> list[dict[str, Any]]:
        return list(pool.map(fn, items, chunksize=2) if pool else map(fn, items))

    def per_source(fn: Callable[[Any], dict[str, Any]], by_source: dict[str, list[Any]]) -> dict[str, list[dict]]:
        """fn over every source's items in one pass over the workers, the results handed back per source."""
        flat, out, at = run(fn, [i for items in by_source.values() for i in items]), {}, 0
        for source, items in by_source.items():
            out[source], at = flat[at:at + len(items)], at + len(items)
        return out

    try:
        t = lap("load", started)
        scenes = {s: SceneSource.of(r) for s, r in per_source(scene_result, scene_items).items()}
        t = lap("no_person_scenes", t)
        people = {s: PersonSource.of(r) for s, r in per_source(person_result, person_items).items()}
        t = lap("person_stills", t)
        videos = run(video_result, video_jobs(data_root, limit))
        t = lap("videos", t)
    finally:
        if pool:
            pool.shutdown()
    renders = evaluate_renders(path.classifier, data_root / "horse-or-human", limit)
    lap("renders", t)
    boxed = {s: people[s] for s in BOXED_PERSON_SCENES}
    frames = {s: people[s] for s in PERSON_SCENES}
    crops = {s: people[s] for s in PERSON_CROPS}
    person_frames = boxed | frames
    no_person = {s: scenes[s] for s in NO_PERSON_SCENES}
    all_boxed_people = [p for src in boxed.values() for p in src.people.items()]
    people_by_height = {b: sum((r for k, r in all_boxed_people if k == b), Rate(0, 0)) for b in HEIGHT_BUCKETS}
    images_by_height = {b: sum((src.by_height.get(b, Rate(0, 0)) for src in boxed.values()), Rate(0, 0))
                        for b in (*HEIGHT_BUCKETS, NO_BOX)}
    timings["total"] = round(time.perf_counter() - started, 1)
    # CPU seconds of this process and its (finished) workers: the work itself, whatever else shares the cores.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    timings["cpu"] = round(time.process_time() - cpu_started + children.ru_utime + children.ru_stime, 1)
    return {
        "model_version": path.classifier.version, "model_file": path.classifier.model_path.name,
        "threshold": path.threshold, "rule": rule.describe(), "regions": rule.regions,
        "detector_version": path.detector_version,
        "clip_path": {"sample_fps": SAMPLE_FPS, "max_frames": DEFAULT_MAX_FRAMES, "min_samples": DEFAULT_MIN_SAMPLES,
                      "scene_clip": "12 s at 10 fps, H.264, pan/zoom or noise+drift by sha256",
                      "person_still": f"static clip of {still_cycle(path)} s, every 1 fps frame scored",
                      "settings": {k: v for k, v in path.options.items() if isinstance(v, (int, float, bool, str))}},
        "limit_per_source": limit, "workers": workers,
        "no_person_scenes": {s: e.to_json() for s, e in no_person.items()},
        "no_person_scenes_total": {
            "clips": sum(e.clips for e in no_person.values()),
            "alert_rate": Rate(sum(len(e.alerting) for e in no_person.values()),
                               sum(e.clips for e in no_person.values())).to_json(),
            "frames_over_threshold": sum((e.frames for e in no_person.values()), Rate(0, 0)).to_json()},
        "horses": {s: scenes[s].to_json() for s in HORSES},
        "person_boxed": {s: e.to_json() for s, e in boxed.items()},
        "person_boxed_total": {"recall_by_tallest_person": {k: v.to_json() for k, v in images_by_height.items()},
                               "localized_people_by_height": {k: v.to_json() for k, v in people_by_height.items()},
                               "localized_people": sum(people_by_height.values(), Rate(0, 0)).to_json(),
                               "recall": sum((e.frames for e in boxed.values()), Rate(0, 0)).to_json(),
                               "recall_any_frame": sum((e.images for e in boxed.values()), Rate(0, 0)).to_json()},
        "person_frames": {s: e.to_json() for s, e in frames.items()},
        "person_crops": {s: e.to_json() for s, e in crops.items()},
        "frame_precision": {
            "person_scenes_vs_no_person_scenes": frame_precision(person_frames, scenes, NO_PERSON_SCENES).to_json(),
            "with_horses_as_negatives": frame_precision(person_frames, scenes, NO_PERSON_SCENES + HORSES).to_json(),
            "person_frames": sum((p.frames for p in person_frames.values()), Rate(0, 0)).to_json(),
            "no_person_frames": sum((scenes[s].frames for s in NO_PERSON_SCENES), Rate(0, 0)).to_json()},
        "videos": videos,
        "horse_or_human_validation": renders,
        "timings_s": timings,
    }


def _rate(entry: dict[str, Any] | None) -> str:
    if not entry or not entry["total"]:
        return "-"
    return f"{entry['hits']}/{entry['total']} {entry['rate']:.3f}"


def format_report(report: dict[str, Any]) -> str:
    lim = f", at most {report['limit_per_source']} per source" if report["limit_per_source"] else ""
    lines = [f"model {report['model_version']} ({report['model_file']}), threshold {report['threshold']:.4f}",
             f"rule: {report['rule']} | regions {report['regions']}"
             + (f" (detector {report['detector_version']})" if report["detector_version"] else "")
             + f" | 1 fps, min_samples {report['clip_path']['min_samples']}{lim}", "",
             "1. No-person scenes, real validation split, each a 12 s still clip (false alerts):",
             f"{'source':<30}{'clips':>6}{'alerts':>8}{'rate':>8}   {'frames over / scored':<22}{'max':>7}"]

    def scene_row(source: str, r: dict[str, Any]) -> str:
        return (f"{source:<30}{r['clips']:>6}{r['alerting_clips']:>8}{r['alert_rate']['rate'] or 0:>8.3f}   "
                f"{_rate(r['frames_over_threshold']):<22}{r['max_score']:>7.3f}")

    for source, r in report["no_person_scenes"].items():
        lines.append(scene_row(source, r))
    total = report["no_person_scenes_total"]
    lines.append(f"{'all no-person scenes':<30}{total['clips']:>6}{total['alert_rate']['hits']:>8}"
                 f"{total['alert_rate']['rate'] or 0:>8.3f}   {_rate(total['frames_over_threshold']):<22}")
    for source, r in report["horses"].items():
        lines.append(scene_row(source + " (apart)", r))
    alerting = [(s, a) for s, r in {**report["no_person_scenes"], **report["horses"]}.items() for a in r["alerting"]]
    if alerting:
        worst = sorted(alerting, key=lambda sa: -sa[1]["max_score"])[:8]
        lines.append("  top alerting: " + ", ".join(f"{s.split('/')[-1]}/{a['file']} {a['max_score']:.2f}"
                                                     for s, a in worst))

    lines += ["", f"2. Person recall, validation stills ({report['clip_path']['person_still']}; a frame is found when "
                  "its best region reaches the threshold):",
              f"{'source':<24}{'frames found':>16}{'any frame':>15}   {'tallest <10%':>14}{'10-25%':>14}{'>25%':>14}"
              f"{'no box':>10}"]

    def person_row(name: str, r: dict[str, Any]) -> str:
        by = r.get("recall_by_tallest_person") or {}
        cells = "".join(f"{_rate(by.get(b)):>14}" for b in HEIGHT_BUCKETS) + f"{_rate(by.get(NO_BOX)):>10}"
        cells = cells if by else ""
        return f"{name:<24}{_rate(r['recall']):>16}{_rate(r['recall_any_frame']):>15}   {cells}"

    for source, r in report["person_boxed"].items():
        lines.append(person_row(source, r))
    tot = report["person_boxed_total"]
    lines.append(person_row("boxed, all", tot))
    people = tot["localized_people_by_height"]
    lines.append(f"{'  people localized':<24}{_rate(tot['localized_people']):>16}{'by own height:':>15}   "
                 + "".join(f"{_rate(people[b]):>14}" for b in HEIGHT_BUCKETS))
    lines.append("  (per person and frame: a region over the threshold with IoU >= 0.3 or covering >= 60 % of the "
                 "person's box; a whole-frame entry covers everyone)")
    for group, kind in (("person_frames", "whole frames"), ("person_crops", "crops")):
        for source, r in report[group].items():
            lines.append(person_row(source, r) + f"({kind})")

    fp = report["frame_precision"]
    lines += ["", "3. Frame precision (person-scene frames over the threshold vs no-person frames over it):",
              f"  person frames over {_rate(fp['person_frames'])}, no-person frames over "
              f"{_rate(fp['no_person_frames'])}",
              f"  precision {_rate(fp['person_scenes_vs_no_person_scenes'])}; "
              f"with horse frames as negatives {_rate(fp['with_horses_as_negatives'])}"]

    lines += ["", "4. Every shared video through the product and the default rule:",
              f"{'video':<30}{'label':<8}{'frames':>7}{'over':>6}{'max':>8}  {'decision':<10}{'expected':<10}{'s':>6}"]
    for r in report["videos"]:
        lines.append(f"{r['video']:<30}{r['label']:<8}{r['frames']:>7}{r['frames_over_threshold']:>6}"
                     f"{r['max_score']:>8.3f}  {r['decision']:<10}{r['expected']:<10}{r['seconds']:>6.1f}"
                     f"{'' if r['ok'] else '  <-- WRONG'}")
    ok = sum(r["ok"] for r in report["videos"])
    lines.append(f"videos as expected: {ok}/{len(report['videos'])}")

    h = report["horse_or_human_validation"]
    lines += ["", f"5. Horse photos: see horse/weizmann above. CGI renders (classifier alone, whole image): accuracy "
                  f"{h['accuracy']:.4f} (person recall {h['recall_person']:.4f}, specificity {h['specificity']:.4f}, "
                  f"{h['images']} images)", "",
              "run time (wall; cpu: CPU seconds of all its processes): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in report["timings_s"].items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", default="models")
    p.add_argument("--model-file", default=None, help="default: the card's served file")
    p.add_argument("--data", default="../shared/data", help="holds real/, horse-or-human/ and clips/")
    p.add_argument("--regions", default=None, help="the rule's regions (default: a new camera's default rule)")
    p.add_argument("--limit", type=int, default=None, help="at most N items per source (quick runs, tests)")
    p.add_argument("--workers", type=int, default=2, help="processes scoring the items (each as the handler does)")
    p.add_argument("--json", default=None, help="also write the report as JSON here")
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    report = evaluate(Path(args.model_dir), Path(args.data), args.regions, args.model_file, args.limit,
                      max(1, args.workers))
    print(format_report(report), flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
