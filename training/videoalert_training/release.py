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
from datetime import datetime, timezone
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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x.reshape(-1).astype(np.float64)))


def _calibration_batch(mask_cache: Path, data_dir: Path, spec: PreprocessSpec, n: int, seed: int) -> np.ndarray:
    """Training-distribution inputs (never validation) for int8 calibration."""
    import torch

    from .cutouts import load_cutouts
    from .datamodule import CameraSynthDataset

    torch.manual_seed(seed)
    items = list_split(data_dir, "train")
    items = items[:: max(1, len(items) // 128)]  # 128 renders spread over every class are enough to calibrate
    dataset = CameraSynthDataset(load_cutouts(items, mask_cache), spec, n)
    return np.stack([dataset[i][0].numpy() for i in range(n)])


def _choose(scores: np.ndarray, labels: np.ndarray, target_recall: float, reports: Path,
            suffix: str = "") -> tuple[float, dict, list[dict]]:
    """The recall rule's threshold for these scores, its policy and its table (saved under reports/)."""
    threshold, policy = choose_threshold(scores, labels, target_recall)
    table = threshold_table(scores, labels, extra=[threshold])
    print(format_table(table))
    print(f"chosen threshold{suffix} {threshold:.4f}: {policy}")
    (reports / f"threshold_table{suffix}.txt").write_text(format_table(table) + f"\n\nchosen: {threshold:.6f}\n{json.dumps(policy, indent=2)}\n")
    (reports / f"threshold_table{suffix}.json").write_text(json.dumps({"threshold": threshold, "policy": policy, "rows": table}, indent=2))
    return threshold, policy, table


def _evaluate(fp32_path: Path, int8_path: Path | None, val_batch: np.ndarray, labels: np.ndarray, reports: Path,
              target_recall: float) -> tuple[dict, dict, str | None]:
    """Per file: the recall rule's threshold on its own scores, metrics, reports; int8 kept only within the
    allowed accuracy drop (each at its own threshold). Returns (thresholds, metrics, int8 file or None)."""
    scores = _sigmoid(onnx_outputs(fp32_path, val_batch)[0])
    threshold, policy, table = _choose(scores, labels, target_recall, reports)
    plot_threshold_curve(table, threshold, target_recall, reports / "threshold_curve.png")
    plot_curves(scores, labels, threshold, reports)
    thresholds = {"fp32": {"threshold": threshold, "policy": policy}}
    metrics = {"fp32": {"at_threshold": metrics_at(scores, labels, threshold), "at_0.5": metrics_at(scores, labels, 0.5)},
               "int8": None}
    report = text_report(scores, labels, threshold, "fp32 ONNX, validation")
    int8_file = None
    if int8_path is not None:
        scores8 = _sigmoid(onnx_outputs(int8_path, val_batch)[0])
        threshold8, policy8, _ = _choose(scores8, labels, target_recall, reports, "_int8")
        m8 = metrics_at(scores8, labels, threshold8)
        drop = metrics["fp32"]["at_threshold"]["accuracy"] - m8["accuracy"]
        metrics["int8"] = {"at_threshold": m8, "at_fp32_threshold": metrics_at(scores8, labels, threshold),
                           "accuracy_drop_vs_fp32": drop,
                           "max_abs_diff_score_vs_fp32": float(np.max(np.abs(scores8 - scores))),
                           "kept": drop <= INT8_MAX_ACCURACY_DROP}
        report += "\n\n" + text_report(scores8, labels, threshold8, "int8 ONNX, validation (its own threshold)")
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
    card["encodings"] = _encodings(out_dir, int8_file, _validation(data_dir, spec)[0])
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
        check = check_clips(clips_dir, lambda imgs: classifier.predict_images(imgs).scores, classifier.threshold,
                            min_frames, input_size=classifier.spec.input_size)
        print(format_clip_table(check))
        (reports / f"clip_check_{name}.txt").write_text(format_clip_table(check) + "\n")
        (reports / f"clip_check_{name}.json").write_text(json.dumps(check, indent=2))
        card.setdefault("clip_check", {})[name] = {
            "all_ok": check["all_ok"], "min_frames": min_frames, "threshold": classifier.threshold,
            "frames_over_threshold": {k: v["frames_over_threshold"] for k, v in check["clips"].items()}}


def _validation(data_dir: Path, spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    val_items = list_split(data_dir, "validation")
    return to_model_input([read_rgb(i.path) for i in val_items], spec), np.array([i.label for i in val_items])


def release(run_dir: Path, data_dir: Path, clips_dir: Path | None, out_dir: Path, target_recall: float,
            min_frames: int, calibration_images: int = 256, int8: bool = True) -> dict:
    summary = json.loads((run_dir / SUMMARY_FILE).read_text())
    spec = PreprocessSpec(input_size=int(summary["input_size"]))
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)

    module = load_module(summary["best_checkpoint"])
    fp32_path = export_onnx(module.net, out_dir / MODEL_FILE, spec.input_size)
    val_batch, labels = _validation(data_dir, spec)
    export_check = compare_with_torch(module.net, fp32_path, val_batch)
    log.info("PyTorch vs ONNX on %d validation images: %s", len(val_batch), export_check)
    int8_path = None
    if int8:
        calib = _calibration_batch(run_dir.parent / "cache" / "masks", data_dir, spec, calibration_images,
                                   int(summary.get("seed", 0)))
        int8_path = quantize_int8(fp32_path, out_dir / INT8_FILE, calib)
    thresholds, metrics, int8_file = _evaluate(fp32_path, int8_path, val_batch, labels, reports, target_recall)
    metrics["torch_vs_onnx"] = export_check
    files = {"fp32": MODEL_FILE, "int8": int8_file}
    encodings = _encodings(out_dir, int8_file, val_batch)

    onnx_sha = hashlib.sha256(fp32_path.read_bytes()).hexdigest()
    created = datetime.now(timezone.utc)
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
        "git_commit": git_commit(out_dir.resolve().parent),
        "created_at": created.isoformat(timespec="seconds"),
        "files": files,
        "encodings": encodings,
        "onnx_sha256": {"fp32": onnx_sha, "int8": hashlib.sha256((out_dir / INT8_FILE).read_bytes()).hexdigest() if int8_file else None},
        "training": {"seconds": summary["training_seconds"], "epochs_run": summary["epochs_run"],
                     "best_val_loss": summary["best_val_loss"], "hardware": summary["hardware"],
                     "stages": summary.get("stages", []),
                     "parent_model_version": summary.get("parent_model_version"),
                     "imagenet_weights_loaded": summary.get("imagenet_weights_loaded", False),
                     "hyperparameters": summary["hyperparameters"], "mlflow_run_id": summary["mlflow"]["run_id"]},
    }
    if clips_dir:
        _check_clips(card, out_dir, clips_dir, min_frames)
    (reports / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    log.info("released %s to %s (threshold %.4f)", card["model_version"], out_dir, card["threshold"])
    return card


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
    val_batch, labels = _validation(data_dir, spec)
    thresholds, metrics, int8_file = _evaluate(fp32_path, int8_path, val_batch, labels, reports, target_recall)
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
        "recarded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
    p.add_argument("--out", default="models")
    p.add_argument("--target-recall", type=float, default=0.99)
    p.add_argument("--min-frames", type=int, default=2, help="alert rule used by the clip check")
    p.add_argument("--no-int8", action="store_true")
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
            a.min_frames, int8=not a.no_int8)


if __name__ == "__main__":
    main()
