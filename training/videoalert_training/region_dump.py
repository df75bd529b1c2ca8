"""Every region the product's detect path scores on the real stills, with both models' scores: the data for choosing
how the detector's score and the ResNet's combine (training/README.md, "How a region's score is made").

`python -m videoalert_training.region_dump --split validation --out training/runs/regions/validation.jsonl
[--every N] [--workers 2]`

Each item goes through the container's clip path exactly as `make eval` sends it (evaluate_real: a 12 s still clip
of a person-free scene, a static clip of one cadence cycle of a person photo), with the detector's "sure" override
off, so each entry's score is the ResNet's own. One JSON line per item: its source, file, label, the people's boxes
where the data has them, and per scored entry (t, box, detector score, ResNet score).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import videoalert_inference.scoring as scoring
from videoalert_contract.inference import RegionMode

from .data import read_rgb
from .evaluate_real import (
    BOXED_PERSON_SCENES,
    HORSES,
    NO_PERSON_SCENES,
    PERSON_CROPS,
    PERSON_SCENES,
    ProductPath,
    product_path,
    still_cycle,
)
from .person_boxes import person_boxes
from .real_data import RealImage, list_real
from .still_clips import static_clip, still_clip, variant_of

_state: dict[str, Any] = {}


def _init(model_dir: Path, real_root: Path, floor: float | None) -> None:
    path = product_path(model_dir, RegionMode.DETECT)
    detector = path.options["detector"]
    settings = dataclasses.replace(detector.settings, sure_score=1.01)  # the ResNet's own scores
    detector.settings = settings if floor is None else dataclasses.replace(settings, min_score=floor)
    path.classifier.region_score = None  # and no fitted combination: the ResNet's own scores
    original = scoring.score_proposals
    recorded: list[tuple[float, Any, Any, float]] = []

    def recording(work: Any, det: Any, classifier: Any) -> Any:
        found = original(work, det, classifier)
        recorded.extend(zip(found.t, found.boxes, found.detector_scores, (float(s) for s in found.scores),
                            strict=True))
        return found

    scoring.score_proposals = recording  # type: ignore[assignment]
    _state.update(path=path, recorded=recorded, real_root=real_root)


def dump_item(job: tuple[RealImage, str]) -> dict[str, Any]:
    """One image through the clip path: every entry the detect path scored."""
    item, kind = job
    path: ProductPath = _state["path"]
    recorded: list[Any] = _state["recorded"]
    recorded.clear()
    pixels = read_rgb(item.path)
    if kind == "scene":
        path.score(still_clip(pixels, item.sha256))
    else:
        path.score(static_clip(pixels, float(still_cycle(path))), min_samples=1)
    boxes = person_boxes(_state["real_root"], item.source, item.path.name) if item.source in BOXED_PERSON_SCENES \
        else None
    return {"source": item.source, "file": item.path.name, "label": item.label, "kind": kind,
            "variant": variant_of(item.sha256) if kind == "scene" else "static", "people": boxes,
            "entries": [[round(t, 3), box, det, round(score, 5)] for t, box, det, score in recorded]}


def jobs(real_root: Path, split: str, every: int) -> list[tuple[RealImage, str]]:
    """The split's items: person-free scenes and horses as scene clips, person photos and crops as static clips."""
    out: list[tuple[RealImage, str]] = []
    for sources, kind, label, image_kind in ((NO_PERSON_SCENES + HORSES, "scene", 0, "frame"),
                                             (BOXED_PERSON_SCENES + PERSON_SCENES, "person", 1, "frame"),
                                             (PERSON_CROPS, "person", 1, "crop")):
        for source in sources:
            images = list_real(real_root, split, {source: (label, image_kind)})
            step = every * (4 if image_kind == "crop" else 1)
            out += [(image, kind) for image in images[::step]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--split", choices=("train", "validation"), default="validation")
    parser.add_argument("--every", type=int, default=1, help="every n-th image of each source")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--floor", type=float, default=None, help="the detector's proposal floor (default: served)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    real_root = args.data / "real" / "images"
    work = jobs(real_root, args.split, args.every)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    init = (args.model_dir, real_root, args.floor)
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                             initargs=init) as pool, args.out.open("w") as out:
        for n, result in enumerate(pool.map(dump_item, work, chunksize=2), 1):
            out.write(json.dumps(result) + "\n")
            if n % 100 == 0:
                print(f"{n}/{len(work)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
