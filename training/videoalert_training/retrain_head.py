"""Retrain the person classifier's head on users' labels (a `videoalert export-dataset` folder), and promote the result
only through a gate: not worse on the real validation split, better on the labelled clips held out of the fit.

Run from the repo root (make retrain LABELS=<export folder>):
    python -m videoalert_training.retrain_head --labels DIR [--labels DIR ...] --real ../shared/data/real/images \
        --model-dir models --out training/runs/labels/model --card models/retrain_labels.md

Only the head (the last layer: one logit from the 512-wide embedding) is refitted, on the released model's own
embeddings: minutes on a CPU, no torch, and the embeddings the false-positive memory stores stay valid (the layers
that make them do not change). The fit is the labelled crops of the export's train split against a replay of the real
training split's INRIA person crops (so people keep their scores), with an L2 pull to the released head. The gate
compares the candidate with the released model at the released threshold, on
- the real validation split's region crops (the set the card's threshold was chosen on): person recall must not drop
  and false positives must not rise by more than `--tolerance` (absolute shares);
- the export's validation split (its own videos, never fitted): more of its labelled images must be right.
The card (a Markdown file) records both figures and the decision. With --promote-to DIR a candidate that passed is
promoted there as `release` would make it (promote.py: the int8 file quantized again, the thresholds chosen again,
the model card naming both gate figures); one that failed writes nothing there.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from videoalert_inference.model import PersonClassifier

from .data import read_rgb
from .labelled import LabelledImage, list_labelled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Head:
    weight: np.ndarray  # (512,)
    bias: float

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(embeddings, np.float64) @ self.weight + self.bias

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(embeddings)))


def released_head(onnx_path: Path) -> tuple[Head, Any, str, str]:
    """The fp32 file's final Gemm as a Head, with the model and its two initializer names (weight, bias)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    if len(gemms) != 1:
        raise ValueError(f"{onnx_path}: expected one Gemm (the head), found {len(gemms)}")
    w_name, b_name = gemms[0].input[1], gemms[0].input[2]
    return Head(inits[w_name].astype(np.float64).reshape(-1), float(inits[b_name].reshape(-1)[0])), model, w_name, \
        b_name


def embed(classifier: PersonClassifier, images: list[np.ndarray], batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The served preprocessing, then (scores, embeddings) of the file."""
    scores, embeddings = [], []
    for i in range(0, len(images), batch):
        p = classifier.predict_images(images[i:i + batch])
        scores.append(p.scores)
        embeddings.append(p.embeddings)
    if not scores:
        return np.zeros(0), np.zeros((0, 512))
    return np.concatenate(scores), np.concatenate(embeddings).astype(np.float64)


def fit_head(start: Head, embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, pull: float) -> Head:
    """Weighted logistic loss + pull * ||theta - theta_released||^2 (L-BFGS from the released head)."""
    from scipy.optimize import minimize

    x = np.hstack([embeddings, np.ones((len(embeddings), 1))])
    theta0 = np.append(start.weight, start.bias)
    w = weights / weights.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(w * (np.logaddexp(0.0, z) - labels * z)) + pull * np.sum((theta - theta0) ** 2))
        grad = x.T @ (w * (p - labels)) + 2.0 * pull * (theta - theta0)
        return value, grad

    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return Head(result.x[:-1], float(result.x[-1]))


def at_threshold(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    people, others = labels == 1, labels == 0
    over = scores >= threshold
    return {"n": int(len(labels)), "people": int(people.sum()), "not_person": int(others.sum()),
            "people_found": int((over & people).sum()), "false_positives": int((over & others).sum()),
            "recall_person": float((over & people).sum() / max(1, people.sum())),
            "false_positive_rate": float((over & others).sum() / max(1, others.sum())),
            "right": int((over == people).sum())}


def gate(current: dict[str, dict[str, Any]], candidate: dict[str, dict[str, Any]], tolerance: float) -> dict[str, Any]:
    """Promote only if not worse on the real validation split and better on the held-out labelled images."""
    val_c, val_n = current["real_validation"], candidate["real_validation"]
    lab_c, lab_n = current["labelled_validation"], candidate["labelled_validation"]
    not_worse = (val_n["recall_person"] >= val_c["recall_person"] - tolerance
                 and val_n["false_positive_rate"] <= val_c["false_positive_rate"] + tolerance)
    better = lab_n["n"] > 0 and lab_n["right"] > lab_c["right"]
    reasons = []
    if not not_worse:
        reasons.append(f"worse on the real validation split (person recall {val_c['recall_person']:.4f} -> "
                       f"{val_n['recall_person']:.4f}, false positives {val_c['false_positive_rate']:.4f} -> "
                       f"{val_n['false_positive_rate']:.4f}; tolerance {tolerance})")
    if not better:
        reasons.append(f"not better on the labelled clips ({lab_c['right']} -> {lab_n['right']} of {lab_n['n']} "
                       "held-out labelled images right)")
    return {"promote": not_worse and better, "not_worse_on_real_validation": not_worse,
            "better_on_labelled": better, "tolerance": tolerance,
            "reasons": reasons or ["not worse on the real validation split and better on the labelled clips"]}


def _images(items: list[LabelledImage]) -> list[np.ndarray]:
    return [read_rgb(i.path) for i in items]


def _cached(path: Path, make: Any) -> tuple[np.ndarray, np.ndarray]:
    if path.exists():
        data = np.load(path)
        return data["scores"], data["embeddings"]
    scores, embeddings = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, scores=scores, embeddings=embeddings)
    return scores, embeddings


def _validation(classifier: PersonClassifier, real: Path, cache: Path, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """The real validation split's region crops (the card's threshold set): their embeddings and labels, cached."""
    from .release import _crop_validation

    def validation() -> tuple[np.ndarray, np.ndarray]:
        crops = _crop_validation(real, classifier.spec, cache)
        scores, embeddings = [], []
        for i in range(0, len(crops.inputs), 64):
            p = classifier.predict_batch(crops.inputs[i:i + 64])
            scores.append(p.scores)
            embeddings.append(p.embeddings)
        np.save(cache / f"validation-labels-{tag}.npy", crops.labels)
        return np.concatenate(scores), np.concatenate(embeddings).astype(np.float64)

    _, embeddings = _cached(cache / f"validation-{tag}.npz", validation)
    return embeddings, np.load(cache / f"validation-labels-{tag}.npy")


def retrain(args: argparse.Namespace) -> dict[str, Any]:
    from .real_data import list_real

    model_dir, out = Path(args.model_dir), Path(args.out)
    card = json.loads((model_dir / "model_card.json").read_text())
    fp32 = model_dir / card["files"]["fp32"]
    classifier = PersonClassifier(fp32, card)
    threshold = float(classifier.threshold)
    head, onnx_model, w_name, b_name = released_head(fp32)
    labelled = [i for root in args.labels for i in list_labelled(root)]
    train = [i for i in labelled if i.split == "train"]
    held_out = [i for i in labelled if i.split == "validation"]
    if not train:
        raise SystemExit("the export has no train-split images to fit on")
    real = Path(args.real)
    cache = Path(args.cache)
    tag = hashlib.sha256(fp32.read_bytes()).hexdigest()[:12]
    replay = list_real(real, "train", {"person/inria_96x160": (1, "crop")})
    _, replay_e = _cached(cache / f"replay-{tag}.npz", lambda: embed(classifier, _images(replay)))  # type: ignore[arg-type]

    val_e, val_labels = _validation(classifier, real, cache, tag)
    train_scores, train_e = embed(classifier, _images(train))
    held_scores, held_e = embed(classifier, _images(held_out))
    # The file's own logits are the head on its embeddings: the refit changes nothing else.
    check = head.scores(train_e[:16])
    if not np.allclose(check, train_scores[:16], atol=1e-4):
        raise ValueError(f"{fp32}: the head on the embeddings does not give the file's scores")
    train_labels = np.array([i.label for i in train], np.float64)
    x = np.vstack([train_e, replay_e])
    y = np.concatenate([train_labels, np.ones(len(replay_e))])
    # The labels and the replay weigh the same in total: a few dozen taps against ~1,900 people.
    weights = np.concatenate([np.full(len(train_e), 1.0 / len(train_e)), np.full(len(replay_e), 1.0 / len(replay_e))])
    candidate = fit_head(head, x, y, weights, args.pull)
    held_labels = np.array([i.label for i in held_out], np.float64)
    figures = {
        name: {"real_validation": at_threshold(h.scores(val_e), val_labels, threshold),
               "labelled_validation": at_threshold(h.scores(held_e), held_labels, threshold),
               "labelled_train": at_threshold(h.scores(train_e), train_labels, threshold)}
        for name, h in (("released", head), ("candidate", candidate))}
    decision = gate(figures["released"], figures["candidate"], args.tolerance)
    version = f"{card['model_version']}-labels-{datetime.now(UTC):%Y%m%d}"
    candidate_file = _write_candidate(onnx_model, w_name, b_name, candidate, out)
    summary = {"version": version, "parent": card["model_version"], "threshold": threshold, "decision": decision,
               "figures": figures, "labels": [str(p) for p in args.labels],
               "images": {"train": len(train), "validation": len(held_out), "replay_people": len(replay)},
               "labels_by_class": {s: {c: sum(1 for i in labelled if i.split == s and i.label == c) for c in (0, 1)}
                                   for s in ("train", "validation")},
               "cameras": sorted({i.camera_id for i in labelled}), "pull": args.pull,
               "candidate_fp32_sha256": hashlib.sha256(candidate_file.read_bytes()).hexdigest(),
               "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if args.promote_to:
        from .promote import promote

        promoted = promote(summary, candidate_file, model_dir, Path(args.promote_to), Path(args.data), real, cache)
        summary["promoted"] = None if promoted is None else {
            "to": str(args.promote_to), "model_version": promoted["model_version"],
            "threshold": promoted["threshold"], "int8": promoted["files"]["int8"]}
    (out / "retrain.json").write_text(json.dumps(summary, indent=2))
    Path(args.card).write_text(card_text(summary))
    return summary


def _write_candidate(onnx_model: Any, w_name: str, b_name: str, candidate: Head, out: Path) -> Path:
    """The released fp32 file with the refit head's weight and bias: out/person_classifier.onnx."""
    import onnx
    from onnx import numpy_helper

    out.mkdir(parents=True, exist_ok=True)
    for init in onnx_model.graph.initializer:
        if init.name == w_name:
            shape = numpy_helper.to_array(init).shape
            init.CopyFrom(numpy_helper.from_array(candidate.weight.reshape(shape).astype(np.float32), w_name))
        elif init.name == b_name:
            init.CopyFrom(numpy_helper.from_array(np.array([candidate.bias], np.float32), b_name))
    candidate_file = out / "person_classifier.onnx"
    onnx.save(onnx_model, str(candidate_file))
    return candidate_file


def _row(name: str, f: dict[str, Any]) -> str:
    v, lab = f["real_validation"], f["labelled_validation"]
    return (f"| {name} | {v['people_found']}/{v['people']} ({v['recall_person']:.4f}) | {v['false_positives']}/"
            f"{v['not_person']} ({v['false_positive_rate']:.4f}) | {lab['right']}/{lab['n']} | "
            f"{f['labelled_train']['right']}/{f['labelled_train']['n']} |")


def card_text(summary: dict[str, Any]) -> str:
    decision = summary["decision"]
    verdict = "gate passed: to be promoted" if decision["promote"] else "gate failed: NOT PROMOTED"
    lines = [
        f"# Retraining from labels: {summary['version']} ({verdict})", "",
        f"Parent: `{summary['parent']}` (fp32 file), threshold {summary['threshold']:.4f} (the released one, kept). "
        f"Labels: {', '.join(summary['labels'])} ({summary['images']['train']} train and "
        f"{summary['images']['validation']} held-out images from {len(summary['cameras'])} cameras; by class "
        f"{json.dumps(summary['labels_by_class'])}; 0 = not a person). Replay: {summary['images']['replay_people']} "
        f"INRIA person crops of the real training split. Head refit, pull {summary['pull']}. Made "
        f"{summary['created_at']} by `python -m videoalert_training.retrain_head` (`make retrain`).", "",
        "| model | real validation crops: people found | real validation crops: false positives | held-out labelled "
        "images right | fitted labelled images right |",
        "|---|---|---|---|---|",
        _row("released", summary["figures"]["released"]),
        _row("candidate", summary["figures"]["candidate"]), "",
        f"Gate (not worse on the real validation split within {decision['tolerance']}, better on the held-out "
        f"labelled images): **{verdict}**. " + "; ".join(decision["reasons"]) + ".",
        f"Candidate fp32 sha256 `{summary['candidate_fp32_sha256']}`.", ""]
    if "promoted" in summary:
        promoted = summary["promoted"]
        lines += [f"Promotion: written to `{promoted['to']}` as `{promoted['model_version']}`, threshold "
                  f"{promoted['threshold']:.4f} chosen again on the real validation crops, int8 file "
                  f"{promoted['int8'] or 'not kept'} (its card's `retrained_from_labels` holds both gate figures)."
                  if promoted else "Promotion: none (the gate failed; nothing was written to the promotion folder).",
                  ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", action="append", type=Path, required=True, help="a videoalert export-dataset folder")
    p.add_argument("--real", required=True, help="shared/data/real/images")
    p.add_argument("--model-dir", default="models")
    p.add_argument("--out", default="training/runs/labels/model")
    p.add_argument("--cache", default="training/runs/cache")
    p.add_argument("--card", default="models/retrain_labels.md")
    p.add_argument("--pull", type=float, default=0.01, help="L2 pull of the head to the released one")
    p.add_argument("--tolerance", type=float, default=0.005, help="absolute slack of the not-worse test")
    p.add_argument("--promote-to", default=None, help="a model folder: a candidate that passes the gate is released "
                   "there (int8 quantized again, thresholds chosen again, the card with both gate figures)")
    p.add_argument("--data", default="../shared/data/horse-or-human", help="the renders (int8 calibration)")
    args = p.parse_args(argv)
    summary = retrain(args)
    print(card_text(summary))


if __name__ == "__main__":
    main()
