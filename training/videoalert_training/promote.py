"""Promote a head retrained from users' labels (retrain_head) into a model folder, as `release` makes one.

Only a candidate whose gate passed is promoted. The folder gets the parent's files (the detector beside it), the
candidate's fp32 file over the classifier, an int8 file quantized again from it (calibrated on the training-style mix,
as a release is), the thresholds chosen again on the real validation split's region crops at the parent card's target
recall (release's own `_evaluate`: the int8 file only if within the allowed accuracy drop), and a card naming the new
version, its parent and both gate figures (`retrained_from_labels`). The backbone is the parent's: the embeddings the
false-positive memory stores stay valid. The card's other blocks are the parent's (the detect mode's `region_score`
fit among them, made on the parent's scores: fit it again before serving a promoted head in detect mode).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def promote(summary: dict[str, Any], candidate_fp32: Path, model_dir: Path, promote_dir: Path, data_dir: Path,
            real_dir: Path, cache: Path) -> dict[str, Any] | None:
    """The promoted card, or None when the gate did not pass (nothing is written then)."""
    if not summary["decision"]["promote"]:
        log.info("gate failed: %s not promoted", summary["version"])
        return None
    from videoalert_inference.model import CARD_FILE, MODEL_FILE
    from videoalert_inference.preprocess import PreprocessSpec

    from .export import quantize_int8
    from .release import INT8_FILE, _calibration_batch, _crop_validation, _evaluate

    parent = json.loads((model_dir / CARD_FILE).read_text())
    promote_dir.mkdir(parents=True, exist_ok=True)
    if promote_dir.resolve() != model_dir.resolve():
        for item in model_dir.iterdir():
            if item.is_file() and item.suffix in (".onnx", ".json"):
                shutil.copy2(item, promote_dir / item.name)
    fp32 = promote_dir / MODEL_FILE
    shutil.copyfile(candidate_fp32, fp32)
    spec = PreprocessSpec(input_size=int(parent["preprocess"]["input_size"]), mean=tuple(parent["preprocess"]["mean"]),
                          std=tuple(parent["preprocess"]["std"]))
    seed = int((parent.get("training") or {}).get("hyperparameters", {}).get("seed", 0))
    calibration = _calibration_batch(cache / "masks", data_dir, spec, 256, seed, real_dir)
    int8 = quantize_int8(fp32, promote_dir / INT8_FILE, calibration)
    reports = promote_dir / "reports"
    reports.mkdir(exist_ok=True)
    target_recall = float(parent["threshold_policy"]["target_recall"])
    thresholds, metrics, int8_file = _evaluate(fp32, int8, _crop_validation(real_dir, spec, cache), [], reports,
                                               target_recall)
    card = _card(parent, summary, promote_dir, thresholds, metrics, int8_file, calibration[:32])
    (promote_dir / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    log.info("promoted %s to %s (threshold %.4f)", card["model_version"], promote_dir, card["threshold"])
    return card


def _card(parent: dict[str, Any], summary: dict[str, Any], promote_dir: Path, thresholds: dict[str, Any],
          metrics: dict[str, Any], int8_file: str | None, check_batch: Any) -> dict[str, Any]:
    """The parent's card with the new version, thresholds, metrics, files and the gate's figures."""
    from videoalert_inference.model import MODEL_FILE

    from .release import _encodings, _thresholds_of_card

    fp32 = promote_dir / MODEL_FILE
    return {**parent, **_thresholds_of_card(thresholds), "model_version": summary["version"], "metrics": metrics,
            "confusion_matrix": metrics["fp32"]["at_threshold"]["confusion_matrix"],
            "files": {"fp32": MODEL_FILE, "int8": int8_file},
            "encodings": _encodings(promote_dir, int8_file, check_batch),
            "onnx_sha256": {"fp32": hashlib.sha256(fp32.read_bytes()).hexdigest(),
                            "int8": hashlib.sha256((promote_dir / int8_file).read_bytes()).hexdigest()
                            if int8_file else None},
            "retrained_from_labels": {"parent_model_version": parent["model_version"], "labels": summary["labels"],
                                      "gate": summary["decision"], "figures": summary["figures"],
                                      "created_at": summary["created_at"]}}
