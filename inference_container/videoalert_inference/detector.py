"""The person detector that proposes where to look: SSDLite-MobileNetV2 (ONNX, int8) plus numpy box decoding and NMS.

The detector only proposes; the released ResNet decides on each proposal's crop (regions.py). Its ONNX file is the
TensorFlow graph cut after the preprocessor and before the post-processor (training/videoalert_training/
detector_export.py): it returns raw box encodings and class logits for 1,917 anchors, and the anchors. Decoding
every anchor would cost more than the network's int8 run, so only the anchors whose person logit clears the proposal
threshold are decoded, then suppressed (IoU) in numpy: a few dozen boxes, not 1,917.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DETECTOR_CARD_FILE = "detector_card.json"
INPUT_SIZE = 300
INPUT_NAME, BOXES_OUTPUT, LOGITS_OUTPUT, ANCHORS_OUTPUT = "image", "box_encodings", "class_logits", "anchors"
BOX_CODER_SCALES = (10.0, 10.0, 5.0, 5.0)
_MAX_EXP = math.log(1000.0 / 16)  # the box coder's clip on exp(): no box grows past ~60x its anchor


@dataclass(frozen=True)
class Detection:
    """A proposed person box, [x0, y0, x1, y1] as fractions of the frame, and the detector's score for it."""

    box: tuple[float, float, float, float]
    score: float

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


MAX_STRETCH = 8.0


@dataclass(frozen=True)
class DetectorSettings:
    """How proposals are chosen. The threshold is low on purpose: the ResNet rejects what is not a person, so a
    proposal costs a crop's inference, while a person never proposed is never seen."""

    # Measured on the validation split's still scenes and boxed people (training/README.md, "Proposal floor"):
    # proposals under 0.15 are mostly false ones in tiles of empty scenes (clips alerting 8.7 % at 0.05, 1.3 % at
    # 0.15, at the same person recall by height).
    min_score: float = 0.15
    nms_iou: float = 0.5
    max_detections: int = 4  # per image: bounds the ResNet's work per frame
    min_side: float = 0.01  # of the image: smaller boxes are noise
    # At or above this the detector is sure of a person: a frame whose whole view has such a box needs no tile
    # search. With a model card that has no `region_score` combination (region_score.py) the detector's score also
    # stands where the ResNet's is lower (a close, cut-off or seated person); a card's combination weighs the two
    # models' scores instead. 1.01 turns it off.
    sure_score: float = 0.9
    # Each view's contrast stretched about its middle (its 1st-99th percentile grey levels to the full range, at most
    # MAX_STRETCH times) before the detector sees it: a person in shade or at dusk is a few grey levels from the
    # background. On the validation split it lifts boxed person stills found from 66 to 69 of 74 for one more
    # empty-scene clip alerting (7 of 393) (training/README.md, "Contrast-stretched views ..."); False: the views as
    # decoded, as the released ResNet's training proposals were made.
    stretch: bool = True


class PersonDetector:
    """An ONNX Runtime session of the detector, loaded once per process; thread count set at load."""

    def __init__(self, model_path: Path, card: dict[str, Any], intra_op_threads: int | None = None,
                 settings: DetectorSettings | None = None):
        import onnxruntime as ort

        self.card = card
        self.model_path = Path(model_path)
        self.settings = settings or DetectorSettings()
        if tuple(card["box_coder"]["scales"]) != BOX_CODER_SCALES or int(card["input"]["size"]) != INPUT_SIZE:
            raise ValueError(f"detector card {model_path} does not match this code's box coder and input size")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads or 0
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        (anchors,) = self.session.run([ANCHORS_OUTPUT], {INPUT_NAME: np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3),
                                                                                np.float32)})
        ymin, xmin, ymax, xmax = np.asarray(anchors, np.float64).T
        self._anchor_h, self._anchor_w = ymax - ymin, xmax - xmin
        self._anchor_y, self._anchor_x = ymin + self._anchor_h / 2, xmin + self._anchor_w / 2
        self.version = f"{card['name']}-{card['sha256'][self.model_path.name][:8]}"

    def detect(self, images: np.ndarray, min_score: float | None = None) -> list[list[Detection]]:
        """Person proposals for a batch of 300x300 RGB uint8 images (N, 300, 300, 3), best first in each."""
        if images.ndim != 4 or images.shape[1:] != (INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"expected (N, {INPUT_SIZE}, {INPUT_SIZE}, 3) images, got {images.shape}")
        batch = images.astype(np.float32)
        if self.settings.stretch:
            for i in range(len(batch)):
                lo, hi = np.percentile(images[i, ::4, ::4], (1.0, 99.0))  # a 16th of the pixels: 0.3 ms
                gain = min(MAX_STRETCH, 255.0 / max(float(hi - lo), 1.0))
                centre = (float(hi) + float(lo)) / 2.0
                batch[i] -= centre
                batch[i] *= gain
                batch[i] += 127.5
            np.clip(batch, 0.0, 255.0, out=batch)
        batch *= 2.0 / 255.0
        batch -= 1.0
        encodings, logits = self.session.run([BOXES_OUTPUT, LOGITS_OUTPUT], {INPUT_NAME: batch})
        floor = self.settings.min_score if min_score is None else min_score
        logit_floor = math.log(floor / (1.0 - floor))
        return [self._proposals(encodings[i], logits[i, :, 1], logit_floor) for i in range(len(images))]

    def _proposals(self, encodings: np.ndarray, person_logits: np.ndarray, logit_floor: float) -> list[Detection]:
        keep = np.flatnonzero(person_logits >= logit_floor)
        if keep.size == 0:
            return []
        ty, tx, th, tw = (encodings[keep].astype(np.float64) / np.asarray(BOX_CODER_SCALES)).T
        h = np.exp(np.minimum(th, _MAX_EXP)) * self._anchor_h[keep]
        w = np.exp(np.minimum(tw, _MAX_EXP)) * self._anchor_w[keep]
        yc = ty * self._anchor_h[keep] + self._anchor_y[keep]
        xc = tx * self._anchor_w[keep] + self._anchor_x[keep]
        boxes = np.clip(np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1), 0.0, 1.0)
        scores = 1.0 / (1.0 + np.exp(-person_logits[keep].astype(np.float64)))
        big = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.settings.min_side
        boxes, scores = boxes[big], scores[big]
        chosen = non_max_suppression(boxes, scores, self.settings.nms_iou, self.settings.max_detections)
        return [Detection(tuple(round(float(v), 4) for v in boxes[i]), round(float(scores[i]), 4))  # type: ignore[arg-type]
                for i in chosen]


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, iou: float, limit: int) -> list[int]:
    """Indices of the best-scoring boxes, each overlapping an earlier kept one by at most `iou`, at most `limit`."""
    order = list(np.argsort(-scores, kind="stable"))
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    while order and len(kept) < limit:
        best = order.pop(0)
        kept.append(int(best))
        if not order:
            break
        rest = np.asarray(order)
        x0 = np.maximum(boxes[best, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[best, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[best, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[best, 3], boxes[rest, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-12)
        order = [int(i) for i, o in zip(rest, overlap, strict=True) if o <= iou]
    return kept


def load_detector(model_dir: str | Path, model_file: str | None = None, **kwargs: Any) -> PersonDetector:
    """The detector of a model directory (its card's served file unless named), or FileNotFoundError."""
    model_dir = Path(model_dir)
    card = json.loads((model_dir / DETECTOR_CARD_FILE).read_text())
    name = model_file or card["files"][card.get("served", "int8")]
    return PersonDetector(model_dir / name, card, **kwargs)
