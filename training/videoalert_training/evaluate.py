"""Validation report in scikit-learn's format, ROC / precision-recall curves (PNG) and metrics JSON."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless machines and CI
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    classification_report,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from .data import CLASSES


def metrics_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """Accuracy, per-class recall, F1, AUCs and the confusion matrix (rows = truth, [not_person, person])."""
    pred = (scores >= threshold).astype(int)
    cm = confusion_matrix(labels, pred, labels=[0, 1])
    return {
        "threshold": float(threshold), "n": int(len(labels)),
        "accuracy": float(accuracy_score(labels, pred)),
        "recall_person": float(cm[1, 1] / max(cm[1].sum(), 1)),
        "recall_not_person": float(cm[0, 0] / max(cm[0].sum(), 1)),
        "f1_person": float(f1_score(labels, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        "confusion_matrix": {"labels": list(CLASSES), "rows_true_cols_pred": cm.tolist()},
    }


def text_report(scores: np.ndarray, labels: np.ndarray, threshold: float, title: str) -> str:
    pred = (scores >= threshold).astype(int)
    cm = confusion_matrix(labels, pred, labels=[0, 1])
    header = (f"{title} (threshold {threshold:.4f}, n={len(labels)})\n\n"
              "confusion matrix (rows = true, cols = predicted)\n")
    matrix = (f"{'':>12}{CLASSES[0]:>12}{CLASSES[1]:>12}\n"
              f"{CLASSES[0]:>12}{cm[0, 0]:>12}{cm[0, 1]:>12}\n{CLASSES[1]:>12}{cm[1, 0]:>12}{cm[1, 1]:>12}\n\n")
    return header + matrix + classification_report(labels, pred, labels=[0, 1], target_names=list(CLASSES), digits=4)


def plot_curves(scores: np.ndarray, labels: np.ndarray, threshold: float, out_dir: Path,
                prefix: str = "") -> list[Path]:
    """ROC and precision-recall curves with the operating point marked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pred = scores >= threshold
    tpr_op = float(np.mean(pred[labels == 1]))
    fpr_op = float(np.mean(pred[labels == 0]))
    prec_op = float(np.sum(pred & (labels == 1)) / max(np.sum(pred), 1))
    fpr, tpr, _ = roc_curve(labels, scores)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"ROC (AUC {roc_auc_score(labels, scores):.4f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.scatter([fpr_op], [tpr_op], color="red", zorder=3, label=f"threshold {threshold:.3f}")
    ax.set(xlabel="false positive rate", ylabel="person recall", title="ROC, validation")
    ax.legend(loc="lower right")
    roc_path = out_dir / f"{prefix}roc.png"
    fig.savefig(roc_path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    precision, recall, _ = precision_recall_curve(labels, scores)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(recall, precision, label=f"PR (AP {average_precision_score(labels, scores):.4f})")
    ax.scatter([tpr_op], [prec_op], color="red", zorder=3, label=f"threshold {threshold:.3f}")
    ax.set(xlabel="person recall", ylabel="precision", title="Precision-recall, validation", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    pr_path = out_dir / f"{prefix}precision_recall.png"
    fig.savefig(pr_path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return [roc_path, pr_path]


def plot_threshold_curve(rows: list[dict], threshold: float, target_recall: float, path: Path) -> Path:
    """Recall and false-positive rate against the threshold, with the chosen one marked."""
    t = [r["threshold"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(t, [r["recall"] for r in rows], marker=".", label="person recall")
    ax.plot(t, [r["fpr"] for r in rows], marker=".", label="false positive rate")
    ax.axhline(target_recall, color="grey", ls=":", label=f"target recall {target_recall}")
    ax.axvline(threshold, color="red", ls="--", label=f"chosen {threshold:.3f}")
    ax.set(xlabel="threshold", ylabel="rate", title="Threshold analysis, validation", ylim=(-0.02, 1.02))
    ax.legend(loc="center left")
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path
