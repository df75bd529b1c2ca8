"""How much a camera's picture changed between two sampled frames: the detector looks again only where it did.

A frame is reduced to the mean of each colour in 10x10-pixel cells of the detector's 300x300 squash (30x30 cells of
red, green and blue). Two frames differ by their largest cell difference once the pictures' common shift is taken out
(per colour, the median cell difference: exposure drift and a light dimmed over the whole picture are not a change in
one place), and by how far that common shift itself goes past COMMON_SHIFT_ALLOWED (a light switched on or off, the
camera's night mode, a whole new picture: everything changed, so the detector looks again). Colours are kept apart
because two different colours can have the same grey. Sensor noise and compression flicker move a cell's mean by 1-3
levels on the shared clips' still minutes; a person walking in view moves some cell by 20-200, clouds drifting over a
field by 10-19.
"""
from __future__ import annotations

import numpy as np

CELL_PX = 10
# A shift of the whole picture (per colour, in levels) that is still the same scene: exposure drifting, a cloud
# over the sun. Beyond it the excess counts as a change everywhere.
COMMON_SHIFT_ALLOWED = 32.0

Box = tuple[float, float, float, float]


def thumbnail(image: np.ndarray) -> np.ndarray:
    """The mean of each colour in each CELL_PX x CELL_PX cell of an RGB image (rows, cols, 3; edge's partial cells
    dropped)."""
    height, width, channels = image.shape
    rows, cols = max(1, height // CELL_PX), max(1, width // CELL_PX)
    cell_h, cell_w = height // rows, width // cols
    cells = image[: rows * cell_h, : cols * cell_w].reshape(rows, cell_h, cols, cell_w, channels)
    # Summed as integers (exact, and several times faster than a float mean), then scaled to a level.
    sums: np.ndarray = cells.sum(axis=(1, 3), dtype=np.uint32)
    return sums.astype(np.float32) / np.float32(cell_h * cell_w)


def change(a: np.ndarray, b: np.ndarray, box: Box = (0.0, 0.0, 1.0, 1.0)) -> float:
    """How much two thumbnails differ inside `box` ([x0, y0, x1, y1], fractions of the frame; the cells it touches):
    the largest cell difference there once the pictures' common shift is taken out, or the common shift's excess
    over COMMON_SHIFT_ALLOWED, whichever is larger (levels, 0-255). Thumbnails of two sizes differ wholly."""
    if a.shape != b.shape:
        return float("inf")
    difference = a - b
    common = np.median(difference.reshape(-1, difference.shape[-1]), axis=0)
    rows, cols = a.shape[:2]
    x0, y0, x1, y1 = box
    r0, r1 = int(y0 * rows), max(int(y0 * rows) + 1, int(np.ceil(y1 * rows)))
    c0, c1 = int(x0 * cols), max(int(x0 * cols) + 1, int(np.ceil(x1 * cols)))
    local = float(np.abs(difference[r0:r1, c0:c1] - common).max())
    return max(local, float(np.abs(common).max()) - COMMON_SHIFT_ALLOWED)
