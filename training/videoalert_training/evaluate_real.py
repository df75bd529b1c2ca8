"""`make eval`: the released model and a camera rule on real photos, the CGI renders and every shared video.

`python -m videoalert_training.evaluate_real --model-dir models --data ../shared/data [--regions tiles] [--json F]`

Everything goes through the container's own code: the model loader and its threshold, the one preprocessing
filter, the tile grid, `score_clip` for videos (PyAV decoding, 1 fps sampling) and the dispatcher's decision
rule (`videoalert.domain.rule`) with a new camera's default rule, so a figure here is what a camera would get.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from videoalert_inference.detector import DETECTOR_CARD_FILE, load_detector
from videoalert_inference.model import PersonClassifier, load_classifier
from videoalert_inference.preprocess import resize_frame, resize_frame_to
from videoalert_inference.scoring import score_clip
from videoalert_inference.settings import REPO_MODEL_DIR
from videoalert_inference.tiles import TileGrid, cut_tiles

from .data import list_split, read_rgb
from .real_data import list_real

DEFAULT_TILE_GRID = TileGrid()


@dataclass(frozen=True)
class ImageScores:
    full: np.ndarray  # the whole image, squashed (what a crop or a "full" camera gets)
    regions: np.ndarray  # the best of the whole image and its tiles (what a "tiles" camera gets)


def model_inputs(images: list[np.ndarray], size: int, tiles: bool,
                 grid: TileGrid = DEFAULT_TILE_GRID) -> tuple[list[np.ndarray], list[int], list[int]]:
    """Each image as the model sees it (whole, and its tiles when asked): (inputs, owner image, whole-image input).

    Still images go through the same resize as decoded frames: libswscale's area filter, whole and tile canvas.
    """
    inputs: list[np.ndarray] = []
    owner: list[int] = []
    whole_index: list[int] = []
    for index, image in enumerate(images):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image, dtype=np.uint8), format="rgb24")
        whole_index.append(len(inputs))
        inputs.append(resize_frame(frame, size))
        owner.append(index)
        if tiles:
            canvas = resize_frame_to(frame, *grid.canvas_size(frame.width, frame.height, size))
            for tile, _ in cut_tiles(canvas, grid, size):
                inputs.append(tile)
                owner.append(index)
    return inputs, owner, whole_index


def score_images(classifier: PersonClassifier, images: list[np.ndarray], tiles: bool,
                 grid: TileGrid = DEFAULT_TILE_GRID, batch: int = 64) -> ImageScores:
    """Scores of still images: whole, and the best of whole and tiles."""
    inputs, owner, whole_index = model_inputs(images, classifier.spec.input_size, tiles, grid)
    scores = np.concatenate([classifier.predict_images(inputs[i:i + batch]).scores
                             for i in range(0, len(inputs), batch)]) if inputs else np.zeros(0)
    best = np.zeros(len(images))
    np.maximum.at(best, np.asarray(owner, dtype=int), scores)
    return ImageScores(full=scores[whole_index], regions=best)


def rate(scores: np.ndarray, label: int, threshold: float) -> float:
    """Person recall for positives, specificity (not-person recall) for negatives."""
    hits = scores >= threshold if label == 1 else scores < threshold
    return float(np.mean(hits)) if len(scores) else float("nan")


def evaluate_real_images(classifier: PersonClassifier, real_root: Path, split: str, tiles: bool) -> dict:
    """Per source of the real split: images, label, kind, and the rate whole-image and with the rule's regions."""
    images = list_real(real_root, split)
    by_source: dict[str, list] = {}
    for image in images:
        by_source.setdefault(image.source, []).append(image)
    result = {}
    for source, items in by_source.items():
        scores = score_images(classifier, [read_rgb(i.path) for i in items], tiles=tiles and items[0].kind == "frame")
        label, kind = items[0].label, items[0].kind
        entry = {"images": len(items), "label": "person" if label else "not_person", "kind": kind,
                 "metric": "recall" if label else "specificity",
                 "whole_image": rate(scores.full, label, classifier.threshold),
                 "min_score" if label else "max_score": float(scores.full.min() if label else scores.full.max())}
        if tiles and kind == "frame":
            entry["with_tiles"] = rate(scores.regions, label, classifier.threshold)
        result[source] = entry
    return result


def summarise(per_source: dict) -> dict:
    """Pooled recall and specificity, crops and whole frames apart (frames judged with the rule's regions)."""
    out = {}
    for kind in ("crop", "frame"):
        for label, metric in (("person", "recall"), ("not_person", "specificity")):
            rows = [r for r in per_source.values() if r["kind"] == kind and r["label"] == label]
            n = sum(r["images"] for r in rows)
            if n:
                key = "with_tiles" if kind == "frame" and all("with_tiles" in r for r in rows) else "whole_image"
                out[f"{kind}s_{metric}"] = {"images": n, "value": sum(r[key] * r["images"] for r in rows) / n,
                                            "judged_on": key}
    return out


def evaluate_renders(classifier: PersonClassifier, hoh_root: Path) -> dict:
    items = list_split(hoh_root, "validation")
    scores = classifier.predict_images([read_rgb(i.path) for i in items]).scores
    labels = np.array([i.label for i in items])
    pred = scores >= classifier.threshold
    return {"images": len(items), "accuracy": float(np.mean(pred == (labels == 1))),
            "recall_person": float(np.mean(pred[labels == 1])), "specificity": float(np.mean(~pred[labels == 0]))}


def evaluate_videos(classifier: PersonClassifier, folder: Path, rule, expected_alert, detector=None) -> list[dict]:
    """Each labelled video through score_clip and the dispatcher's rule: the decision a camera would get."""
    from videoalert.domain.rule import decide_frames

    with open(folder / "labels.csv", newline="") as handle:
        labels = {row["file"]: row["label"] for row in csv.DictReader(handle)}
    rows = []
    for name, label in sorted(labels.items()):
        clip = score_clip(str(folder / name), classifier, 1.0, 120, regions=rule.regions, detector=detector)
        decision = decide_frames(clip.frames, rule, classifier.threshold)
        expected = expected_alert(label)
        rows.append({"video": f"{folder.name}/{name}", "label": label, "frames": clip.frames_sampled,
                     "decision": str(decision.decision), "region": decision.region,
                     "frames_over_threshold": decision.frames_over_threshold,
                     "max_score": round(decision.max_score, 4), "expected": "ALERT" if expected else "NO_ALERT",
                     "ok": (decision.decision == "ALERT") == expected})
    return rows


def format_report(report: dict) -> str:
    lines = [f"model {report['model_version']} ({report['model_file']}), threshold {report['threshold']:.4f}, "
             f"rule: {report['rule']}", "", "real validation split (sha256 prefix 0-3), per source:",
             f"{'source':<26}{'kind':<7}{'label':<11}{'images':>7}  {'metric':<12}{'whole':>7}{'tiles':>7}"]
    for source, r in report["real_validation"]["sources"].items():
        tiles = f"{r['with_tiles']:.3f}" if "with_tiles" in r else "-"
        lines.append(f"{source:<26}{r['kind']:<7}{r['label']:<11}{r['images']:>7}  {r['metric']:<12}"
                     f"{r['whole_image']:>7.3f}{tiles:>7}")
    lines.append("")
    for key, r in report["real_validation"]["summary"].items():
        lines.append(f"  {key:<26}{r['value']:.3f}  ({r['images']} images, {r['judged_on']})")
    h = report["horse_or_human_validation"]
    lines += ["", f"horse-or-human validation (CGI renders): accuracy {h['accuracy']:.4f} "
                  f"(person recall {h['recall_person']:.4f}, specificity {h['specificity']:.4f}, {h['images']} images)",
              "", f"{'video':<34}{'label':<8}{'frames':>7}{'over':>6}{'max':>8}  {'decision':<9}{'expected':<9}"]
    for r in report["videos"]:
        lines.append(f"{r['video']:<34}{r['label']:<8}{r['frames']:>7}{r['frames_over_threshold']:>6}"
                     f"{r['max_score']:>8.3f}  {r['decision']:<9}{r['expected']:<9}{'' if r['ok'] else '<-- WRONG'}")
    ok = sum(r["ok"] for r in report["videos"])
    lines.append(f"videos as expected: {ok}/{len(report['videos'])}")
    return "\n".join(lines)


def evaluate(model_dir: Path, data_root: Path, regions: str | None, model_file: str | None = None) -> dict:
    from videoalert.domain.rule import Rule

    classifier = load_classifier(model_dir, model_file)
    rule = Rule() if regions is None else Rule(regions=regions)
    # Regions "detect" (the default): the detector beside the model, else the released one.
    detector = load_detector(model_dir if (model_dir / DETECTOR_CARD_FILE).exists() else REPO_MODEL_DIR)
    tiles = rule.regions == "tiles"
    per_source = evaluate_real_images(classifier, data_root / "real" / "images", "validation", tiles)
    videos = evaluate_videos(classifier, data_root / "real" / "videos", rule, lambda label: label in ("person", "both"),
                             detector)
    videos += evaluate_videos(classifier, data_root / "clips", rule, lambda label: label == "human", detector)
    return {"model_version": classifier.version, "model_file": classifier.model_path.name,
            "threshold": classifier.threshold, "rule": rule.describe(),
            "real_validation": {"sources": per_source, "summary": summarise(per_source)},
            "horse_or_human_validation": evaluate_renders(classifier, data_root / "horse-or-human"),
            "videos": videos}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", default="models")
    p.add_argument("--model-file", default=None, help="default: the card's served file")
    p.add_argument("--data", default="../shared/data", help="holds real/, horse-or-human/ and clips/")
    p.add_argument("--regions", default=None, help="the rule's regions (default: a new camera's default rule)")
    p.add_argument("--json", default=None, help="also write the report as JSON here")
    args = p.parse_args(argv)
    report = evaluate(Path(args.model_dir), Path(args.data), args.regions, args.model_file)
    print(format_report(report))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
