"""The naive baseline: OpenCV reads every frame, PIL + torchvision transforms per frame, eager PyTorch, batch 1."""
from __future__ import annotations

from pathlib import Path


def naive_score_clip(path: Path, model, input_size: int, sample_fps: float = 1.0,
                     torch_threads: int = 1, tile_grid=None, tile_every: int = 1) -> list[tuple[float, float]]:
    """(t, score) at `sample_fps`, the way a first version would do it.

    With a tile grid (videoalert_inference.tiles.TileGrid), every tile_every-th sampled frame's tiles are
    scored too, each cut from the full frame with PIL and resized on its own: the same inputs as our path.
    """
    import cv2
    import torch
    from PIL import Image
    from torchvision import transforms

    from videoalert_inference.preprocess import IMAGENET_MEAN, IMAGENET_STD

    transform = transforms.Compose([
        transforms.Resize((input_size, input_size)),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    # Both thread counts are measured and the faster is the baseline: PyTorch's default (one per core) is
    # what a first version runs, but on a shared machine its OpenMP workers spin at every barrier and one
    # descheduled worker stalls the other (once measured: 20 batch-1 images in 11-32 s instead of 0.5 s).
    torch.set_num_threads(torch_threads)
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    step = fps / sample_fps
    scores, index, next_pick, sampled = [], 0, 0.0, 0
    with torch.inference_mode():
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            if index + 1e-6 >= next_pick:
                image = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                logit = model(transform(image).unsqueeze(0))
                scores.append((index / fps, float(torch.sigmoid(logit)[0, 0])))
                if tile_grid is not None and sampled % tile_every == 0:
                    for tile in _tiles(image, tile_grid, input_size):
                        logit = model(transform(tile).unsqueeze(0))
                        scores.append((index / fps, float(torch.sigmoid(logit)[0, 0])))
                sampled += 1
                next_pick += step
            index += 1
    capture.release()
    return scores


def _tiles(image, grid, input_size: int) -> list:
    """The grid's tiles as crops of the full-resolution frame (the boxes scaled back from the canvas)."""
    canvas_w, canvas_h = grid.canvas_size(image.width, image.height, input_size)
    sx, sy = image.width / canvas_w, image.height / canvas_h
    return [image.crop((round(b.x0 * sx), round(b.y0 * sy), round(b.x1 * sx), round(b.y1 * sy)))
            for b in grid.boxes(canvas_w, canvas_h, input_size)]
