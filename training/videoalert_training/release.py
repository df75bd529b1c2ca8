"""Turn a training run into the released model: ONNX (fp32, int8 if accurate), threshold, reports, model card.

`python -m videoalert_training.release --run training/runs/release --data DIR --clips DIR --out models`
`python -m videoalert_training.release --recard --data DIR --clips DIR --out models` (same weights, new preprocessing)
`python -m videoalert_training.release --add-encodings --data DIR --out models` (the int8 file's AMX encoding only)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from videoalert_inference.model import CARD_FILE, MODEL_FILE, PersonClassifier
from videoalert_inference.preprocess import PreprocessSpec, to_model_input

from .clipcheck import check_clips, format_clip_table
from .data import CLASSES, POSITIVE_CLASS, POSITIVE_FOLDERS, list_split, read_rgb
from .evaluate import metrics_at, plot_curves, plot_threshold_curve, text_report
from .export import amx_encoding, compare_with_torch, export_onnx, load_module, onnx_outputs, quantize_int8
from .hardware import git_commit
from .thresholds import choose_threshold, format_table, threshold_table
from .train import SUMMARY_FILE

log = logging.getLogger("videoalert_training.release")
INT8_FILE = "person_classifier.int8.onnx"
INT8_AMX_FILE = "person_classifier.int8.amx.onnx"  # same model, encoded for AMX CPUs
INT8_MAX_ACCURACY_DROP = 0.005  # the issue: keep int8 only within 0.5 point of fp32


# int8 calibration inputs: what the served model sees, region crops mostly, whole frames and renders too.
CALIBRATION_MIX = ("box_person=0.2,scene_person=0.15,scene_proposal=0.2,scene_box=0.1,scene_frame=0.05,person_crop=0.1,"
                   "horse_photo=0.05,composite=0.05,composite_empty=0.05,cgi=0.05")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x.reshape(-1).astype(np.float64)))


@dataclass
class ImageSet:
    """Labelled images as model inputs; an image's score is the best of its inputs (a frame and its tiles)."""

    name: str
    inputs: np.ndarray  # [M, 3, S, S], preprocessed
    owner: np.ndarray  # [M]: the image each input belongs to
    labels: np.ndarray  # [N]
    sources: list[str]  # [N]

    def scores(self, onnx_path: Path, batch: int = 256) -> np.ndarray:
        logits = np.concatenate([onnx_outputs(onnx_path, self.inputs[i:i + batch])[0]
                                 for i in range(0, len(self.inputs), batch)])
        best = np.zeros(len(self.labels))
        np.maximum.at(best, self.owner, _sigmoid(logits))
        return best

    def per_source(self, scores: np.ndarray, threshold: float) -> dict:
        """Recall (person sources) or specificity (the others) per source at the threshold."""
        out = {}
        for source in sorted(set(self.sources)):
            mask = np.asarray([s == source for s in self.sources])
            label = int(self.labels[mask][0])
            hits = scores[mask] >= threshold if label else scores[mask] < threshold
            out[source] = {"images": int(mask.sum()), "label": CLASSES[label],
                           "recall" if label else "specificity": float(np.mean(hits))}
        return out


def _hoh_validation(data_dir: Path, spec: PreprocessSpec) -> ImageSet:
    items = list_split(data_dir, "validation")
    return ImageSet("horse-or-human validation (CGI renders)", to_model_input([read_rgb(i.path) for i in items], spec),
                    np.arange(len(items)), np.array([i.label for i in items]),
                    [f"horse-or-human/{i.folder}" for i in items])


def _real_validation(real_dir: Path, spec: PreprocessSpec) -> ImageSet:
    """The real validation split as the default rule sees it: crops whole, whole frames with their tiles."""
    from .image_scores import model_inputs
    from .real_data import list_real

    images = list_real(real_dir, "validation")
    inputs, owner = [], []
    for kind in ("crop", "frame"):
        chosen = [i for i, image in enumerate(images) if image.kind == kind]
        kind_inputs, kind_owner, _ = model_inputs([read_rgb(images[i].path) for i in chosen], spec.input_size,
                                                  tiles=kind == "frame")
        inputs += kind_inputs
        owner += [chosen[j] for j in kind_owner]
    return ImageSet("real validation split (sha256 prefix 0-3; frames with their tiles)", to_model_input(inputs, spec),
                    np.asarray(owner), np.array([i.label for i in images]), [i.source for i in images])


def _crop_validation(real_dir: Path, spec: PreprocessSpec, cache_dir: Path) -> ImageSet:
    """The real validation split as the detector-first product shows it to the ResNet: each region's crop (person
    boxes and INRIA crops; the detector's proposals on empty scenes and on streets away from people)."""
    from .crops import default_detector, load_bank, validation_crops
    from .real_data import list_real

    crops, labels, groups = validation_crops(load_bank(real_dir, "validation", cache_dir, default_detector()))
    inria = list_real(real_dir, "validation", {"person/inria_96x160": (1, "crop")})
    crops += [read_rgb(i.path) for i in inria]
    labels += [1] * len(inria)
    groups += ["inria_crop"] * len(inria)
    return ImageSet("real validation split, region crops (sha256 prefix 0-3; person boxes, INRIA crops, detector "
                    "proposals on empty scenes and streets)", to_model_input(crops, spec), np.arange(len(crops)),
                    np.asarray(labels), groups)


def _calibration_batch(mask_cache: Path, data_dir: Path, spec: PreprocessSpec, n: int, seed: int,
                       real_dir: Path | None = None) -> np.ndarray:
    """Training-distribution inputs (never validation) for int8 calibration: the real mix when it trained."""
    import torch

    from .cutouts import load_cutouts
    from .datamodule import CameraSynthDataset

    torch.manual_seed(seed)
    items = list_split(data_dir, "train")
    items = items[:: max(1, len(items) // 128)]  # 128 renders spread over every class are enough to calibrate
    dataset = CameraSynthDataset(load_cutouts(items, mask_cache), spec, n)
    if real_dir is not None:
        from .crops import default_detector, load_bank
        from .real_data import list_real
        from .realmix import RealMixDataset, RealPools, parse_mix

        pools = RealPools.load(list_real(real_dir, "train"), mask_cache)
        pools.crops = load_bank(real_dir, "train", mask_cache.parent, default_detector())
        dataset = RealMixDataset(pools, dataset, spec, n, parse_mix(CALIBRATION_MIX))
    return np.stack([dataset[i][0].numpy() for i in range(n)])


def _choose(scores: np.ndarray, labels: np.ndarray, target_recall: float, reports: Path,
            suffix: str = "") -> tuple[float, dict, list[dict]]:
    """The recall rule's threshold for these scores, its policy and its table (saved under reports/)."""
    threshold, policy = choose_threshold(scores, labels, target_recall)
    table = threshold_table(scores, labels, extra=[threshold])
    print(format_table(table))
    print(f"chosen threshold{suffix} {threshold:.4f}: {policy}")
    (reports / f"threshold_table{suffix}.txt").write_text(
        format_table(table) + f"\n\nchosen: {threshold:.6f}\n{json.dumps(policy, indent=2)}\n")
    (reports / f"threshold_table{suffix}.json").write_text(
        json.dumps({"threshold": threshold, "policy": policy, "rows": table}, indent=2))
    return threshold, policy, table


def _evaluate(fp32_path: Path, int8_path: Path | None, chosen_on: ImageSet, also: list[ImageSet], reports: Path,
              target_recall: float) -> tuple[dict, dict, str | None]:
    """Per file: the recall rule's threshold on `chosen_on`, metrics there and on `also` at that threshold,
    reports; int8 kept only within the allowed accuracy drop (each at its own threshold).
    Returns (thresholds, metrics, int8 file or None)."""
    scores = chosen_on.scores(fp32_path)
    labels = chosen_on.labels
    threshold, policy, table = _choose(scores, labels, target_recall, reports)
    policy["chosen_on"] = chosen_on.name
    plot_threshold_curve(table, threshold, target_recall, reports / "threshold_curve.png")
    plot_curves(scores, labels, threshold, reports)
    thresholds = {"fp32": {"threshold": threshold, "policy": policy}}

    def block(set_scores: np.ndarray, image_set: ImageSet, at: float) -> dict:
        return {"set": image_set.name, **metrics_at(set_scores, image_set.labels, at),
                "per_source": image_set.per_source(set_scores, at)}

    other_scores = {s.name: s.scores(fp32_path) for s in also}
    metrics = {"fp32": {"at_threshold": block(scores, chosen_on, threshold), "at_0.5": metrics_at(scores, labels, 0.5),
                        "other_sets": [block(other_scores[s.name], s, threshold) for s in also]},
               "int8": None}
    report = text_report(scores, labels, threshold, f"fp32 ONNX, {chosen_on.name}")
    for s in also:
        report += "\n\n" + text_report(other_scores[s.name], s.labels, threshold, f"fp32 ONNX, {s.name}")
    int8_file = None
    if int8_path is not None:
        scores8 = chosen_on.scores(int8_path)
        threshold8, policy8, _ = _choose(scores8, labels, target_recall, reports, "_int8")
        policy8["chosen_on"] = chosen_on.name
        m8 = block(scores8, chosen_on, threshold8)
        drop = metrics["fp32"]["at_threshold"]["accuracy"] - m8["accuracy"]
        metrics["int8"] = {"at_threshold": m8, "at_fp32_threshold": metrics_at(scores8, labels, threshold),
                           "other_sets": [block(s.scores(int8_path), s, threshold8) for s in also],
                           "accuracy_drop_vs_fp32": drop,
                           "max_abs_diff_score_vs_fp32": float(np.max(np.abs(scores8 - scores))),
                           "kept": drop <= INT8_MAX_ACCURACY_DROP}
        report += "\n\n" + text_report(scores8, labels, threshold8, f"int8 ONNX, {chosen_on.name} (its own threshold)")
        if drop <= INT8_MAX_ACCURACY_DROP:
            int8_file = int8_path.name
            thresholds["int8"] = {"threshold": threshold8, "policy": policy8}
        else:
            log.warning("int8 accuracy %.4f is %.2f points below fp32: not released", m8["accuracy"], drop * 100)
            int8_path.unlink()
    print(report)
    (reports / "validation_report.txt").write_text(report + "\n")
    return thresholds, metrics, int8_file


def _thresholds_of_card(thresholds: dict) -> dict:
    """The card's threshold fields: the served file's threshold on top (what readers of one threshold use).

    int8 is served when the release kept it (within 0.5 point of fp32, each at its own recall-rule threshold):
    about a third of fp32's inference time, the same integers on every x86 CPU (see export.quantize_int8).
    """
    served = "int8" if "int8" in thresholds else "fp32"
    return {"threshold": thresholds[served]["threshold"], "threshold_policy": thresholds[served]["policy"],
            "thresholds": thresholds, "served": served}


def _encodings(out_dir: Path, int8_file: str | None, check_batch: np.ndarray) -> dict:
    """The card's `encodings`: other files of a released file that compute exactly the same outputs.

    The int8 file gets an AMX encoding (export.amx_encoding), checked bit-identical on `check_batch`; the
    container serves it on CPUs with AMX.
    """
    if not int8_file:
        (out_dir / INT8_AMX_FILE).unlink(missing_ok=True)
        return {}
    path = amx_encoding(out_dir / int8_file, out_dir / INT8_AMX_FILE, check_batch)
    return {"int8": {"amx": {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                             "identical_outputs_on": f"{len(check_batch)} validation images",
                             "serve_when": "the CPU has AMX int8 tiles and Linux grants them (model.cpu_has_amx)"}}}


def add_encodings(out_dir: Path, data_dir: Path) -> dict:
    """Write the encodings of a released model's files in place, leaving everything else in its card as it is."""
    card = json.loads((out_dir / CARD_FILE).read_text())
    int8_file = card["files"].get("int8")
    if int8_file and hashlib.sha256((out_dir / int8_file).read_bytes()).hexdigest() != card["onnx_sha256"]["int8"]:
        raise SystemExit(f"{out_dir / int8_file} is not the file the card describes: release it with `release` instead")
    spec = PreprocessSpec.from_card(card["preprocess"])  # this code's preprocessing (else: --recard first)
    card["encodings"] = _encodings(out_dir, int8_file, _hoh_validation(data_dir, spec).inputs)
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    log.info("encodings of %s in %s: %s", card["model_version"], out_dir, card["encodings"])
    return card


def _check_clips(card: dict, out_dir: Path, clips_dir: Path, min_frames: int) -> None:
    """Score the clips through the container's own loader and frame resize: the same path as production."""
    reports = out_dir / "reports"
    card.pop("clip_check", None)
    for name, file in (("fp32", card["files"]["fp32"]), ("int8", card["files"]["int8"])):
        if not file:
            continue
        classifier = PersonClassifier(out_dir / file, card)
        check = check_clips(clips_dir, lambda imgs, c=classifier: c.predict_images(imgs).scores, classifier.threshold,
                            min_frames, input_size=classifier.spec.input_size)
        print(format_clip_table(check))
        (reports / f"clip_check_{name}.txt").write_text(format_clip_table(check) + "\n")
        (reports / f"clip_check_{name}.json").write_text(json.dumps(check, indent=2))
        card.setdefault("clip_check", {})[name] = {
            "all_ok": check["all_ok"], "min_frames": min_frames, "threshold": classifier.threshold,
            "frames_over_threshold": {k: v["frames_over_threshold"] for k, v in check["clips"].items()}}


def release(run_dir: Path, data_dir: Path, clips_dir: Path | None, out_dir: Path, target_recall: float,
            min_frames: int, calibration_images: int = 256, int8: bool = True, real_dir: Path | None = None,
            crops: bool = True) -> dict:
    """real_dir: the threshold is chosen on the real validation split (else on the renders' validation set): on its
    region crops (crops=True: what the ResNet sees behind the detector, the default region mode), else on whole
    frames with their tiles."""
    summary = json.loads((run_dir / SUMMARY_FILE).read_text())
    spec = PreprocessSpec(input_size=int(summary["input_size"]))
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)

    module = load_module(summary["best_checkpoint"])
    fp32_path = export_onnx(module.net, out_dir / MODEL_FILE, spec.input_size)
    hoh = _hoh_validation(data_dir, spec)
    val_batch = hoh.inputs
    export_check = compare_with_torch(module.net, fp32_path, val_batch)
    log.info("PyTorch vs ONNX on %d validation images: %s", len(val_batch), export_check)
    int8_path = None
    if int8:
        calib = _calibration_batch(run_dir.parent / "cache" / "masks", data_dir, spec, calibration_images,
                                   int(summary.get("seed", 0)), real_dir)
        int8_path = quantize_int8(fp32_path, out_dir / INT8_FILE, calib)
    if real_dir is None:
        chosen_on, also = hoh, []
    elif crops:
        chosen_on = _crop_validation(real_dir, spec, run_dir.parent / "cache")
        also = [_real_validation(real_dir, spec), hoh]
    else:
        chosen_on, also = _real_validation(real_dir, spec), [hoh]
    thresholds, metrics, int8_file = _evaluate(fp32_path, int8_path, chosen_on, also, reports, target_recall)
    metrics["torch_vs_onnx"] = export_check
    files = {"fp32": MODEL_FILE, "int8": int8_file}
    encodings = _encodings(out_dir, int8_file, val_batch)

    onnx_sha = hashlib.sha256(fp32_path.read_bytes()).hexdigest()
    created = datetime.now(UTC)
    card = {
        "model_version": f"resnet18-person-{created:%Y%m%d}-{onnx_sha[:8]}",
        "architecture": "torchvision resnet18, 1 logit (BCE-with-logits); outputs logit [N,1] and embedding [N,512]",
        "classes": list(CLASSES), "positive_class": POSITIVE_CLASS,
        "positive_folders": sorted(POSITIVE_FOLDERS),
        "preprocess": spec.to_card(),
        **_thresholds_of_card(thresholds),
        "metrics": metrics,
        "confusion_matrix": metrics["fp32"]["at_threshold"]["confusion_matrix"],
        "training_data_sha256": summary["training_data_sha256"],
        "training_data": _training_data(summary, data_dir),
        "git_commit": git_commit(out_dir.resolve().parent),
        "created_at": created.isoformat(timespec="seconds"),
        "files": files,
        "encodings": encodings,
        "onnx_sha256": {"fp32": onnx_sha,
                        "int8": hashlib.sha256((out_dir / INT8_FILE).read_bytes()).hexdigest() if int8_file else None},
        "training": {"seconds": summary["training_seconds"], "epochs_run": summary["epochs_run"],
                     "best_val_loss": summary["best_val_loss"], "hardware": summary["hardware"],
                     "stages": summary.get("stages", []),
                     "parent_model_version": summary.get("parent_model_version"),
                     "imagenet_weights_loaded": summary.get("imagenet_weights_loaded", False),
                     "hyperparameters": summary["hyperparameters"], "mlflow_run_id": summary["mlflow"]["run_id"]},
    }
    detector = _detector_of(out_dir)
    if detector:
        card["region_proposals"] = detector
    if clips_dir:
        _check_clips(card, out_dir, clips_dir, min_frames)
    (reports / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    log.info("released %s to %s (threshold %.4f)", card["model_version"], out_dir, card["threshold"])
    return card


def _detector_of(out_dir: Path) -> dict | None:
    """What proposes the regions this model decides on: the detector released beside it (its own card holds the
    conversion details), with provenance and licence, so the model card names both models of the default path."""
    from videoalert_inference.detector import DETECTOR_CARD_FILE
    from videoalert_inference.settings import REPO_MODEL_DIR

    for folder in (out_dir, REPO_MODEL_DIR):
        if (folder / DETECTOR_CARD_FILE).is_file():
            card = json.loads((folder / DETECTOR_CARD_FILE).read_text())
            return {"card": DETECTOR_CARD_FILE, "architecture": card["architecture"], "source": card["source"],
                    "files": card["files"], "served": card["served"], "sha256": card["sha256"],
                    "role": "proposes person regions (whole frame, and 2x2 tiles on some frames); this model scores "
                            "each region's crop and decides"}
    return None


def _training_data(summary: dict, data_dir: Path) -> dict:
    """Where every training image came from: the renders' folder hash, each real source's SOURCES.csv
    (file, origin, licence, sha256 per image) summed up by one hash over its (file, sha256) pairs, and the
    distillation teacher's weights file."""
    out = {"horse_or_human": {"folder": "horse-or-human/train", "sha256": summary["training_data_sha256"],
                              "provenance": "horse-or-human/README.md (CGI renders, Laurence Moroney, CC BY 2.0)"}}
    real = summary.get("real_data")
    if real:
        out["real"] = {**real, "provenance": "each source folder's SOURCES.csv: file, origin (repository, path, "
                                             "commit), licence as stated, what it shows, sha256"}
    teacher = summary.get("teacher")
    if teacher:
        out["distillation_teacher"] = teacher
    return out


def recard(out_dir: Path, data_dir: Path, clips_dir: Path | None, target_recall: float, min_frames: int,
           requantize: bool = False, mask_cache: Path = Path("training/runs/cache/masks"),
           calibration_images: int = 256) -> dict:
    """Re-evaluate a released model's unchanged ONNX files under this code's preprocessing and rewrite its card.

    For a change of the preprocessing definition that keeps the weights: threshold, metrics, reports and
    clip check are measured again, the card names the new procedure, and `preprocess_history` keeps the
    one the weights were trained with. The model version (the weights' identity) stays. requantize: the int8
    file is made again from the fp32 one (calibrated on training-style samples, as a release does).
    """
    card = json.loads((out_dir / CARD_FILE).read_text())
    old = card["preprocess"]
    spec = PreprocessSpec(input_size=int(old["input_size"]), mean=tuple(old["mean"]), std=tuple(old["std"]))
    reports = out_dir / "reports"
    fp32_path = out_dir / card["files"]["fp32"]
    int8_path = out_dir / card["files"]["int8"] if card["files"].get("int8") else None
    for name, path in (("fp32", fp32_path), ("int8", None if requantize else int8_path)):
        if path is not None and hashlib.sha256(path.read_bytes()).hexdigest() != card["onnx_sha256"][name]:
            raise SystemExit(f"{path} is not the file the card describes: release it with `release` instead")
    if requantize:
        seed = int(card["training"]["hyperparameters"].get("seed", 0)) if card.get("training") else 0
        calib = _calibration_batch(mask_cache, data_dir, spec, calibration_images, seed)
        int8_path = quantize_int8(fp32_path, out_dir / INT8_FILE, calib)
    hoh = _hoh_validation(data_dir, spec)
    val_batch = hoh.inputs
    thresholds, metrics, int8_file = _evaluate(fp32_path, int8_path, hoh, [], reports, target_recall)
    metrics["torch_vs_onnx"] = card["metrics"].get("torch_vs_onnx")
    history = card.get("preprocess_history") or [{"version": old["version"], "used_for": "training"}]
    files = {"fp32": fp32_path.name, "int8": int8_file}
    card.update({
        "encodings": _encodings(out_dir, int8_file, val_batch),
        "preprocess": spec.to_card(), "preprocess_history": history,
        **_thresholds_of_card(thresholds), "metrics": metrics,
        "confusion_matrix": metrics["fp32"]["at_threshold"]["confusion_matrix"],
        "files": files,
        "onnx_sha256": {**card["onnx_sha256"],
                        "int8": hashlib.sha256((out_dir / int8_file).read_bytes()).hexdigest() if int8_file else None},
        "recarded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    if clips_dir:
        _check_clips(card, out_dir, clips_dir, min_frames)
    (reports / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    log.info("re-carded %s in %s under %s (threshold %.4f)", card["model_version"], out_dir, spec.version,
             card["threshold"])
    return card


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="training work dir (holds train_summary.json)")
    p.add_argument("--recard", action="store_true",
                   help="keep the released ONNX files in --out; re-evaluate them under this code's preprocessing")
    p.add_argument("--data", required=True)
    p.add_argument("--clips", default=None, help="folder of held-out clips with labels.csv (optional)")
    p.add_argument("--real", default=None,
                   help="shared/data/real/images: choose the threshold on its validation split (the renders' too are "
                        "reported)")
    p.add_argument("--out", default="models")
    p.add_argument("--target-recall", type=float, default=0.99)
    p.add_argument("--min-frames", type=int, default=2, help="alert rule used by the clip check")
    p.add_argument("--no-int8", action="store_true")
    p.add_argument("--frames", action="store_true",
                   help="with --real: choose the threshold on whole frames and tiles (the whole-frame mode) not crops")
    p.add_argument("--requantize", action="store_true", help="with --recard: make the int8 file again from fp32")
    p.add_argument("--add-encodings", action="store_true",
                   help="only (re)write the encodings of the released files in --out (the int8 file's AMX encoding)")
    a = p.parse_args(argv)
    if a.add_encodings:
        add_encodings(Path(a.out), Path(a.data))
        return
    if a.recard:
        recard(Path(a.out), Path(a.data), Path(a.clips) if a.clips else None, a.target_recall, a.min_frames,
               requantize=a.requantize)
        return
    if not a.run:
        p.error("--run is required (or --recard)")
    release(Path(a.run), Path(a.data), Path(a.clips) if a.clips else None, Path(a.out), a.target_recall,
            a.min_frames, int8=not a.no_int8, real_dir=Path(a.real) if a.real else None, crops=not a.frames)


if __name__ == "__main__":
    main()
