"""Whether a scored region found a ground-truth person: overlap of boxes given as [x0, y0, x1, y1] fractions."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

Box = Sequence[float]
WHOLE_FRAME = (0.0, 0.0, 1.0, 1.0)  # the region of an entry without a box (a whole-frame score)
MIN_IOU = 0.3
MIN_COVERED = 0.6  # of the person's box inside the region


def area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Box, b: Box) -> float:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def covered(person: Box, region: Box) -> float:
    """The fraction of the person's box that lies inside the region."""
    size = area(person)
    return intersection(person, region) / size if size > 0 else 0.0


def localizes(region: Box | None, person: Box, min_iou: float = MIN_IOU, min_covered: float = MIN_COVERED) -> bool:
    """A region over the threshold localizes a person when IoU >= 0.3 or it covers >= 60 % of the person's box.
    A region without a box is the whole frame (it covers everyone: a whole-frame path localizes nothing finer)."""
    box = WHOLE_FRAME if region is None else region
    return iou(box, person) >= min_iou or covered(person, box) >= min_covered


def people_found(people: Sequence[Box], regions: Iterable[Box | None]) -> list[bool]:
    """For each ground-truth person, whether one of the regions (those over the threshold) localizes it."""
    regions = list(regions)
    return [any(localizes(region, person) for region in regions) for person in people]
