"""Overlapping square tiles of a frame: a small, far person fills more of the model's input than in the whole frame.

A 60 px person in a 640x480 frame is 16 px tall once the whole frame is squashed to 128; in one of the six
tiles of the default grid (two rows, 25 % overlap) it is 28 px, and the tile keeps the person's proportions
(the whole-frame squash of a 16:9 frame makes everyone 1.8 times thinner). How the tiles are cut: the whole
frame is resized once, by the one preprocessing filter, to the size at which a tile is exactly the model's
input, and the tiles are slices of that image, so no tile is resized again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .motion import Box


@dataclass(frozen=True)
class TileGrid:
    """`rows` tiles along the frame's shorter side, as many as needed along the longer one, `overlap` shared."""

    rows: int = 2
    overlap: float = 0.25

    def __post_init__(self) -> None:
        if self.rows < 1 or not 0 <= self.overlap < 1:
            raise ValueError("a tile grid needs rows >= 1 and 0 <= overlap < 1")

    @property
    def side_fraction(self) -> float:
        """A tile's side as a fraction of the frame's shorter side."""
        return 1.0 / (self.rows - (self.rows - 1) * self.overlap)

    def canvas_size(self, width: int, height: int, input_size: int) -> tuple[int, int]:
        """(width, height) to resize the frame to, so that one tile is input_size x input_size pixels."""
        scale = input_size / (self.side_fraction * min(width, height))
        return max(input_size, round(width * scale)), max(input_size, round(height * scale))

    def boxes(self, canvas_width: int, canvas_height: int, input_size: int) -> list[Box]:
        """The tiles' pixel boxes in the resized canvas, row by row."""
        return [Box(x, y, x + input_size, y + input_size)
                for y in _starts(canvas_height, input_size, self.overlap)
                for x in _starts(canvas_width, input_size, self.overlap)]

    def count(self, width: int, height: int, input_size: int) -> int:
        return len(self.boxes(*self.canvas_size(width, height, input_size), input_size))


def _starts(length: int, side: int, overlap: float) -> list[int]:
    """Evenly spaced tile starts covering [0, length), neighbours sharing at least `overlap` of a tile."""
    if length <= side:
        return [0]
    count = math.ceil((length - side) / (side * (1 - overlap)) - 1e-9) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def cut_tiles(canvas: np.ndarray, grid: TileGrid, input_size: int) -> list[tuple[np.ndarray, list[float]]]:
    """Each tile of a resized frame and its box as fractions of the frame ([x0, y0, x1, y1], 3 decimals)."""
    height, width = canvas.shape[:2]
    return [(canvas[b.y0:b.y1, b.x0:b.x1], b.fractions(width, height)) for b in grid.boxes(width, height, input_size)]
