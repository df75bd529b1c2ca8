"""More ways to match a later region with what a tap remembered, replayed by bench/memory_options.py.

- "logistic": a per-camera classifier on embeddings. After each tap the camera fits a logistic regression: the
  tapped clips' remembered regions (the labelled thing) against a bank of people as this model frames them (the pasted
  people's regions of the OTHER scenes of the split: leave-one-scene-out, no scene's own person in its bank; classes
  weighed the same; `score_margin` carries its inverse regularisation C, default 1). A later region in a remembered
  place (IoU >= min_iou) is the labelled thing when the classifier gives it at least `offset` (a probability) and it
  is within max_distance of the remembered entry.
- "prototype": the region must also be no nearer the person prototype (the classifier's head weight direction: the
  ResNet's own idea of "person" in embedding space) than the remembered entry is, plus `offset` (cosine): a person in
  front of a labelled statue turns its crop towards that direction. The dispatcher's equivalent needs no new data:
  the region's classifier score is the head on the same embedding (see score_margin in memory_options).
"""
from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from .common import REPO


@cache
def person_direction() -> np.ndarray:
    """The released classifier's head weight (the 512-wide initializer of its last Gemm), unit length. Read only."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(REPO / "models" / "person_classifier.onnx"))
    for init in model.graph.initializer:
        weight = numpy_helper.to_array(init)
        if weight.size == 512 and weight.ndim == 2:
            w = weight.reshape(-1).astype(np.float64)
            return w / np.linalg.norm(w)
    raise ValueError("no 512-wide head weight in models/person_classifier.onnx")


def _unit(vector: Any) -> np.ndarray:
    v = np.asarray(vector, np.float64)
    return v / max(float(np.linalg.norm(v)), 1e-12)


# (bank, C, remembered entries) -> the fit: shared by the options
_FITTED: dict[tuple[int, float, tuple[str, ...]], Any] = {}


class CameraClassifier:
    """The per-camera logistic regression of one camera, fitted again when its entries change."""

    def __init__(self, bank: np.ndarray, c: float = 1.0):
        self.bank, self.c = bank, c

    def probability(self, entries: list[Any], vector: Any) -> float:
        from sklearn.linear_model import LogisticRegression

        key = (id(self.bank), self.c, tuple(e.entry_id + str(e.vector[:2]) for e in entries))
        if key not in _FITTED:
            remembered = np.array([_unit(e.vector) for e in entries])
            people = self.bank if self.bank.shape[1] == remembered.shape[1] else np.zeros((0, remembered.shape[1]))
            x = np.vstack([remembered, people])
            y = np.concatenate([np.ones(len(remembered)), np.zeros(len(people))])
            _FITTED[key] = (LogisticRegression(C=self.c, class_weight="balanced", max_iter=300).fit(x, y)
                            if len(people) else None)
        model = _FITTED[key]
        return 1.0 if model is None else float(model.predict_proba(_unit(vector)[None, :])[0, 1])


def match(camera: Any, detection: Any) -> Any:
    """The remembered entry this detection is under the camera's option (kind "logistic" or "prototype"), or None."""
    from videoalert.domain.memory import MemoryMatch
    from videoalert_contract.boxes import iou

    option = camera.option
    if detection.box is None:
        return None
    v = _unit(detection.vector)
    best = None
    for entry in camera.entries:
        if entry.box is None or iou(detection.box, entry.box) < option.min_iou:
            continue
        if (option.margin is not None and detection.detector_score is not None and entry.detector_score is not None
                and detection.detector_score > entry.detector_score + option.margin):
            continue
        distance = 1.0 - float(v @ _unit(entry.vector))
        if distance > option.max_distance or (best is not None and distance >= best.distance):
            continue
        if option.kind == "prototype":
            direction = person_direction()
            if float(v @ direction) > float(_unit(entry.vector) @ direction) + option.offset:
                continue
        best = MemoryMatch(entry.video_id, entry.entry_id, distance, detection.t, detection.box)
    if best is not None and option.kind == "logistic":
        if not hasattr(camera, "classifier"):
            camera.classifier = CameraClassifier(camera.bank, option.score_margin or 1.0)
        if camera.classifier.probability(camera.entries, detection.vector) < option.offset:
            return None
    return best


def options(option_type: Any) -> list[Any]:
    """The options of this module, and guard variants of the distance kind: the detector's score must not rise."""
    out = []
    for u in (0.1, 0.2):
        for d in (0.07, 0.1, 0.15, 0.3):
            for p in (0.5, 0.8, 0.95):
                out.append(option_type(f"per-camera logistic regression p >= {p}, 8 regions, all remembered, IoU {u}, "
                                       f"distance {d}, guard 0.4", kind="logistic", top_k=8, remember="all",
                                       min_iou=u, max_distance=d, margin=0.4, offset=p))
            for o in (-0.02, 0.0, 0.02, 0.05):
                out.append(option_type(f"person prototype no nearer than the remembered + {o}, 8 regions, all "
                                       f"remembered, IoU {u}, distance {d}, guard 0.4", kind="prototype", top_k=8,
                                       remember="all", min_iou=u, max_distance=d, margin=0.4, offset=o))
    for c in (10.0, 100.0):
        for d in (0.07, 0.15):
            for p in (0.5, 0.8, 0.95):
                out.append(option_type(f"per-camera logistic regression C {c:g}, p >= {p}, 8 regions, all remembered, "
                                       f"IoU 0.2, distance {d}, guard 0.4", kind="logistic", top_k=8, remember="all",
                                       min_iou=0.2, max_distance=d, margin=0.4, offset=p, score_margin=c))
    for u in (0.1, 0.2):
        for d in (0.07, 0.1, 0.15):
            for m in (0.0, 0.05, 0.1):
                for g in (None, 0.0, 0.05):
                    out.append(option_type(f"detector score not rising (+{m}), classifier score guard {g}, 8 regions, "
                                           f"all remembered, IoU {u}, distance {d}", top_k=8, remember="all",
                                           min_iou=u, max_distance=d, margin=m, score_margin=g))
    return out
