"""Still images scored the way the container scores frames (whole, and its tiles): the model alone, no clip path.

Used by release (threshold checks), mining (the training images the model gets most wrong) and the regions benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np

from videoalert_inference.model import PersonClassifier
from videoalert_inference.preprocess import resize_frame, resize_frame_to
from videoalert_inference.tiles import TileGrid, cut_tiles

DEFAULT_TILE_GRID = TileGrid()


@dataclass(frozen=True)
class ImageScores:
    full: np.ndarray  # the whole image, squashed (what a crop or a "full" camera gets)
    regions: np.ndarray  # the best of the whole image and its tiles (what a "tiles" camera gets)


def model_inputs(images: list[np.ndarray], size: int, tiles: bool,
                 grid: TileGrid = DEFAULT_TILE_GRID) -> tuple[list[np.ndarray], list[int], list[int]]:
    """Each image as the model sees it (whole, and its tiles when asked): (inputs, owner image, whole-image input).

    Still images go through the same resize as decoded frames: libswscale's area filter, whole and tile canvas.
    """
    inputs: list[np.ndarray] = []
    owner: list[int] = []
    whole_index: list[int] = []
    for index, image in enumerate(images):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image, dtype=np.uint8), format="rgb24")
        whole_index.append(len(inputs))
        inputs.append(resize_frame(frame, size))
        owner.append(index)
        if tiles:
            canvas = resize_frame_to(frame, *grid.canvas_size(frame.width, frame.height, size))
            for tile, _ in cut_tiles(canvas, grid, size):
                inputs.append(tile)
                owner.append(index)
    return inputs, owner, whole_index


def score_images(classifier: PersonClassifier, images: list[np.ndarray], tiles: bool,
                 grid: TileGrid = DEFAULT_TILE_GRID, batch: int = 64) -> ImageScores:
    """Scores of still images: whole, and the best of whole and tiles."""
    inputs, owner, whole_index = model_inputs(images, classifier.spec.input_size, tiles, grid)
    scores = np.concatenate([classifier.predict_images(inputs[i:i + batch]).scores
                             for i in range(0, len(inputs), batch)]) if inputs else np.zeros(0)
    best = np.zeros(len(images))
    np.maximum.at(best, np.asarray(owner, dtype=int), scores)
    return ImageScores(full=scores[whole_index], regions=best)
