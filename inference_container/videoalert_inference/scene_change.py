"""How much a camera's picture changed between two sampled frames: the detector looks again only where it did.

A frame is reduced to the mean grey of 10x10-pixel cells of the detector's 300x300 squash (30x30 cells); two frames
differ by their largest cell difference once the frames' common shift is taken out (the median cell difference:
exposure drift and a light dimmed over the whole picture are not a change). Sensor noise and compression flicker
move a cell's mean by 1-3 grey levels on the shared clips' still minutes; a person walking in view moves some cell
by 20-200, clouds drifting over a field by 10-19 (bench/README.md, "Detector on changed frames").
"""
from __future__ import annotations

import numpy as np

CELL_PX = 10


def thumbnail(image: np.ndarray) -> np.ndarray:
    """The mean grey level of each CELL_PX x CELL_PX cell of an RGB image (the edge's partial cells dropped)."""
    height, width, channels = image.shape
    rows, cols = max(1, height // CELL_PX), max(1, width // CELL_PX)
    cell_h, cell_w = height // rows, width // cols
    cells = image[: rows * cell_h, : cols * cell_w].reshape(rows, cell_h, cols, cell_w, channels)
    # Summed as integers (exact, and eight times faster than a float mean), then scaled to a grey level.
    sums: np.ndarray = cells.sum(axis=(1, 3, 4), dtype=np.uint32)
    return sums.astype(np.float32) / np.float32(cell_h * cell_w * channels)


def cell_changes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each cell's difference between two thumbnails of one size, their common shift taken out (grey levels)."""
    difference: np.ndarray = a - b
    difference -= np.median(difference)
    changes: np.ndarray = np.abs(difference)
    return changes


def change(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> float:
    """The largest cell difference between two thumbnails inside `box` ([x0, y0, x1, y1], fractions of the frame;
    the cells it touches), the common shift of the whole pictures taken out. Thumbnails of two sizes differ wholly."""
    if a.shape != b.shape:
        return float("inf")
    rows, cols = a.shape
    x0, y0, x1, y1 = box
    r0, r1 = int(y0 * rows), max(int(y0 * rows) + 1, int(np.ceil(y1 * rows)))
    c0, c1 = int(x0 * cols), max(int(x0 * cols) + 1, int(np.ceil(x1 * cols)))
    return float(cell_changes(a, b)[r0:r1, c0:c1].max())
