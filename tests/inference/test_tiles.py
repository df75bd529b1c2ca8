"""Tiles: overlapping square views of a frame, so that a small, far person fills more of the model's input."""
from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from fixtures.media import BLUE, RED, cfr_times, encode_clip
from videoalert_contract.inference import Region
from videoalert_inference.scoring import ScoringRequest, score_clip
from videoalert_inference.tiles import TileGrid


@pytest.mark.parametrize("width,height,expected", [(640, 480, 6), (640, 360, 8), (1280, 720, 8), (480, 640, 6),
                                                   (128, 128, 4)])
def test_the_default_grid_covers_every_pixel_with_square_tiles(width, height, expected):
    # Given a frame of this size and the default grid (two rows, a quarter overlap)
    grid = TileGrid()
    canvas_w, canvas_h = grid.canvas_size(width, height, 128)
    # When its tiles are laid out on the canvas
    boxes = grid.boxes(canvas_w, canvas_h, 128)
    # Then there are as many as expected, each exactly the model's input, inside the canvas, covering all of it
    assert len(boxes) == expected
    assert all(b.x1 - b.x0 == 128 and b.y1 - b.y0 == 128 for b in boxes)
    assert all(b.x0 >= 0 and b.x1 <= canvas_w and b.y0 >= 0 and b.y1 <= canvas_h for b in boxes)
    covered = np.zeros((canvas_h, canvas_w), bool)
    for b in boxes:
        covered[b.y0:b.y1, b.x0:b.x1] = True
    assert covered.all()


def test_neighbouring_tiles_overlap_by_at_least_the_grid_overlap():
    grid = TileGrid(rows=2, overlap=0.25)
    boxes = grid.boxes(*grid.canvas_size(640, 360, 128), 128)
    row = sorted(b.x0 for b in boxes if b.y0 == 0)
    assert all(128 - (b - a) >= 0.25 * 128 for a, b in pairwise(row))


def test_a_tile_sees_a_small_subject_the_whole_frame_misses(tiny_classifier):
    # Given a blue 10 s clip with a red square (the tiny model's "person") filling a fifth of it, in a corner
    def square(t, image):
        image[2:50, 2:50] = RED
    data = encode_clip(cfr_times(10, 5), lambda t: BLUE, size=(128, 96), paint=square)
    # When it is scored whole, then with tiles
    whole = score_clip(data, tiny_classifier, ScoringRequest(regions="full"))
    tiled = score_clip(data, tiny_classifier, ScoringRequest(regions="tiles"))
    # Then the whole frame stays low, one tile per second scores high, and its box holds the square
    assert max(f.score for f in whole.frames) < 0.5
    tiles = [f for f in tiled.frames if f.region == Region.TILE]
    best = max(tiles, key=lambda f: f.score)
    assert best.score > 0.5 > max(f.score for f in whole.frames)
    x0, y0, x1, y1 = best.box
    assert x0 <= 2 / 128 and y0 <= 2 / 96 and x1 >= 50 / 128 and y1 >= 50 / 96
    # and the whole frames are still scored, once per second, beside the tiles
    assert [f.t for f in tiled.frames if f.region == "full"] == [f.t for f in whole.frames]


def test_tiles_every_nth_frame_only(tiny_classifier):
    data = encode_clip(cfr_times(8, 5), lambda t: BLUE, size=(128, 96))
    result = score_clip(data, tiny_classifier, ScoringRequest(regions="tiles", tile_every=4,
                                                              tile_grid=TileGrid(), min_samples=0))
    tile_times = sorted({f.t for f in result.frames if f.region == Region.TILE})
    assert tile_times == [0.0, 4.0]


def test_a_grid_must_make_sense():
    with pytest.raises(ValueError):
        TileGrid(rows=0)
    with pytest.raises(ValueError):
        TileGrid(overlap=1.0)


def test_the_handler_returns_each_tile_with_its_box(inference_env, monkeypatch):
    from test_inference_handler import LambdaContext, handler, put, request

    from videoalert_inference import handler as inference_handler

    # Given a 12 s clip in S3 and a function that tiles every second frame (its default)
    monkeypatch.delenv("TILE_EVERY", raising=False)
    inference_handler.reset_runtime()
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 5), lambda t: BLUE, size=(128, 96)))
    # When the function is asked for tiles
    response = handler(request(regions="tiles"), LambdaContext())
    # Then every second has its whole-frame entry (no box), and the tiled seconds their six tiles (4:3) with boxes
    assert response["ok"] is True
    full = [f for f in response["frames"] if f["region"] == "full"]
    assert [f["t"] for f in full] == [float(s) for s in range(12)] and all("box" not in f for f in full)
    tiles = [f for f in response["frames"] if f["region"] == Region.TILE]
    assert sorted({f["t"] for f in tiles}) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0] and len(tiles) == 36
    assert all(0 <= f["box"][0] < f["box"][2] <= 1 and 0 <= f["box"][1] < f["box"][3] <= 1 for f in tiles)
