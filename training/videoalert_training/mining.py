"""Hard-example mining: a later stage draws each pool's images in proportion to how wrong a model is on them.

The random mix shows every horse photo and render equally often, so the few that look like a person (a horse
facing the camera, standing tall, legs apart) are a small share of an epoch however the kinds are weighted.
Here a model (usually the stage's starting point) scores every image of the pools once; an image is then drawn
with probability `uniform/N + (1 - uniform) * hardness/sum(hardness)`, hardness being the score for a negative
and 1 - score for a positive. Half the draws stay uniform, so nothing is forgotten.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from .realmix import RealMixDataset

log = logging.getLogger(__name__)

Scorer = Callable[[list[np.ndarray]], np.ndarray]  # RGB images (any number) -> person scores in [0, 1]


def draw_weights(scores: Sequence[float], labels: Sequence[int], uniform: float = 0.5) -> np.ndarray:
    """Sampling probabilities: part uniform, part in proportion to each image's error (score vs label)."""
    if not 0 <= uniform <= 1:
        raise ValueError(f"uniform share must be in [0, 1], got {uniform}")
    s, y = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    if s.shape != y.shape or s.size == 0:
        raise ValueError("one score and one label per image, at least one image")
    hardness = np.where(y == 1, 1.0 - s, s).clip(0.0, 1.0)
    n = len(s)
    if hardness.sum() <= 0:
        return np.full(n, 1.0 / n)
    return uniform / n + (1 - uniform) * hardness / hardness.sum()


def mine(dataset: RealMixDataset, score: Scorer, uniform: float = 0.5) -> dict[str, dict[str, float]]:
    """Set hardness-weighted draws on the dataset's pools (real photos, small negatives, CGI renders).
    Returns, per pool, how concentrated the draws became (the share of draws on its hardest 10 %)."""
    pools = dataset.pools
    named: dict[str, tuple[list[np.ndarray], list[int]]] = {
        "horse_photos": (pools.horse_photos, [0] * len(pools.horse_photos)),
        "tiny_negatives": (pools.tiny_negatives, [0] * len(pools.tiny_negatives)),
        "person_crops": (pools.person_crops, [1] * len(pools.person_crops)),
    }
    if pools.crops is not None:  # the region crops: the detector's proposals on empty scenes, people's boxes
        from .crops import cut

        bank = pools.crops
        named["negative_regions"] = ([cut(image, box) for image, box in bank.negative_regions],
                                     [0] * len(bank.negative_regions))
        named["person_boxes"] = ([cut(bank.person_images[i], box) for i, box in bank.person_boxes],
                                 [1] * len(bank.person_boxes))
    if dataset.cgi is not None:
        named["cgi"] = ([c.rgb for c in dataset.cgi.cutouts], [c.label for c in dataset.cgi.cutouts])
    report = {}
    for name, (images, labels) in named.items():
        if not images:
            continue
        weights = draw_weights(score(images), labels, uniform)
        if name == "cgi":
            assert dataset.cgi is not None
            dataset.cgi.weights = weights
        else:
            dataset.weights[name] = weights
        top = np.sort(weights)[::-1][: max(1, len(weights) // 10)].sum()
        report[name] = {"images": len(images), "draws_on_hardest_10pct": round(float(top), 3)}
        log.info("mining %s: %d images, %.0f %% of draws on the hardest 10 %%", name, len(images), 100 * top)
    return report


def onnx_scorer(model_dir: str) -> Scorer:
    """The released model in `model_dir` (its fp32 file) as a scorer: whole images, in batches, resized as
    the container resizes decoded frames (image_scores.score_images, the decoder's own scaler)."""
    from videoalert_inference.model import MODEL_FILE, load_classifier

    from .image_scores import score_images

    classifier = load_classifier(model_dir, MODEL_FILE)
    return lambda images: score_images(classifier, images, tiles=False).full
