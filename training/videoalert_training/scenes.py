"""Procedural camera backgrounds (outdoor, indoor, plain) and compositing a cut-out subject into them."""
from __future__ import annotations

import cv2
import numpy as np

from .cutouts import Cutout

# Base colours (RGB) for grounds, walls and skies; jittered per scene.
GROUNDS = [(70, 120, 45), (95, 140, 60), (200, 175, 130), (150, 120, 85), (120, 120, 115), (230, 230, 235),
           (110, 85, 60)]
WALLS = [(235, 230, 220), (210, 205, 195), (190, 200, 210), (225, 215, 190), (170, 170, 170), (240, 240, 240)]
FLOORS = [(160, 110, 70), (185, 140, 95), (120, 80, 50), (150, 150, 150), (200, 190, 170)]
SKIES = [(120, 170, 225), (170, 200, 235), (190, 195, 200), (230, 180, 140), (90, 120, 180)]


def smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Value noise in [-1, 1]: a small random grid upsampled smoothly."""
    grid = rng.uniform(-1, 1, (max(2, cells * h // w), max(2, cells))).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def fractal(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return sum(smooth_noise(rng, h, w, c) * a for c, a in ((4, 0.5), (12, 0.3), (40, 0.2)))


def _jitter(rng: np.random.Generator, colour, amount: float = 25.0) -> np.ndarray:
    return np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3), 0, 255)


def _outdoor(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    horizon = int(h * rng.uniform(0.15, 0.6))
    sky_top, sky_low = _jitter(rng, SKIES[rng.integers(len(SKIES))]), _jitter(rng, (220, 225, 230), 20)
    t = np.linspace(0, 1, max(horizon, 1), dtype=np.float32)[:, None, None]
    img[:horizon] = sky_top * (1 - t) + sky_low * t
    if rng.random() < 0.7:  # clouds
        clouds = np.clip(fractal(rng, horizon or 1, w) * 1.5, 0, 1)[..., None]
        img[:horizon] = img[:horizon] * (1 - clouds * 0.8) + 245 * clouds * 0.8
    ground = _jitter(rng, GROUNDS[rng.integers(len(GROUNDS))])
    texture = fractal(rng, h - horizon, w)[..., None]
    img[horizon:] = ground * (1 + 0.25 * texture)
    if rng.random() < 0.6:  # tree line / hills on the horizon
        profile = horizon - (np.abs(smooth_noise(rng, 1, w, 20)[0]) * h * rng.uniform(0.03, 0.12)).astype(int)
        band_colour = _jitter(rng, (45, 80, 40), 20)
        rows = np.arange(h)[:, None]
        band = (rows >= profile[None, :]) & (rows < horizon + 2)
        img[band] = band_colour * (1 + 0.3 * fractal(rng, h, w)[band][:, None])
    if rng.random() < 0.35:  # fence: two rails and posts
        colour = _jitter(rng, (200, 195, 185), 30)
        top = int(horizon + (h - horizon) * rng.uniform(0.05, 0.3))
        for y in (top, top + int(h * 0.05)):
            cv2.line(img, (0, y), (w, y), colour.tolist(), max(1, h // 80))
        for x in range(int(rng.integers(0, 40)), w, int(rng.integers(25, 70))):
            cv2.line(img, (x, top - h // 30), (x, top + int(h * 0.08)), colour.tolist(), max(1, w // 120))
    return img


def _indoor(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    floor_y = int(h * rng.uniform(0.35, 0.7))
    wall = _jitter(rng, WALLS[rng.integers(len(WALLS))], 15)
    img[:floor_y] = wall * (1 + 0.05 * fractal(rng, floor_y, w)[..., None])
    floor = _jitter(rng, FLOORS[rng.integers(len(FLOORS))])
    img[floor_y:] = floor
    plank = int(rng.integers(6, 18)) * h // 240 + 2
    for y in range(floor_y, h, plank):  # planks or tiles with varied tone and seams
        img[y:y + plank] *= rng.uniform(0.85, 1.12)
        img[y:y + 1] *= 0.7
        offset = int(rng.integers(0, w))
        for x in range(offset % 90, w, int(rng.integers(60, 140))):
            img[y:y + plank, x:x + 1] *= 0.7
    img[floor_y:] *= 1 + 0.1 * fractal(rng, h - floor_y, w)[..., None]
    img[max(floor_y - 3, 0):floor_y] = _jitter(rng, (150, 140, 130), 30)  # skirting board
    if rng.random() < 0.5:  # a door, window or picture frame
        x0, y0 = int(rng.integers(0, w - w // 6)), int(rng.integers(0, max(floor_y - h // 4, 1)))
        x1, y1 = x0 + int(rng.integers(w // 12, w // 4)), min(floor_y, y0 + int(rng.integers(h // 8, h // 2)))
        cv2.rectangle(img, (x0, y0), (x1, y1), _jitter(rng, (120, 100, 80), 60).tolist(), -1)
    return img


def _plain(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    a, b = _jitter(rng, rng.uniform(60, 240, 3), 0), _jitter(rng, rng.uniform(60, 240, 3), 0)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(a * (1 - t) + b * t, (h, w, 3)).copy()
    for _ in range(int(rng.integers(0, 6))):  # clutter: boxes, poles, balls
        colour = rng.uniform(20, 240, 3).tolist()
        if rng.random() < 0.5:
            p = rng.integers(0, [w, h])
            corner = p + rng.integers(5, [w // 3, h // 2])
            cv2.rectangle(img, tuple(int(v) for v in p), tuple(int(v) for v in corner), colour, -1)
        else:
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.circle(img, centre, int(rng.integers(4, h // 5)), colour, -1)
    return img * (1 + 0.1 * fractal(rng, h, w)[..., None])


def random_scene(rng: np.random.Generator, h: int = 240, w: int = 320) -> np.ndarray:
    """A float32 RGB background with lighting variation (shadows, exposure gradient)."""
    kind = rng.choice(3, p=[0.5, 0.35, 0.15])
    img = (_outdoor, _indoor, _plain)[kind](rng, h, w)
    if rng.random() < 0.5:  # cloud shadows / uneven light
        img *= 1 - rng.uniform(0.1, 0.45) * np.clip(fractal(rng, h, w) + 0.2, 0, 1)[..., None]
    return img


def white_backdrop(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Studio-like light background with a faint gradient (the look of a plain render)."""
    level = rng.uniform(225, 255)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = np.full((h, w, 3), level, np.float32) - t * rng.uniform(0, 25)
    return img


def _fit_subject(background: np.ndarray, cutout: Cutout, rng: np.random.Generator,
                 height_frac: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The subject's bounding box, scaled to a random share of the frame height: (rgb float32, alpha)."""
    h, w = background.shape[:2]
    ys, xs = np.nonzero(cutout.alpha > 0.5)
    if len(ys) < 50:  # the mask failed: paste the whole render as a framed picture instead
        ys, xs = np.array([0, cutout.alpha.shape[0] - 1]), np.array([0, cutout.alpha.shape[1] - 1])
        alpha_src = np.ones_like(cutout.alpha)
    else:
        alpha_src = cutout.alpha
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    rgb, alpha = cutout.rgb[y0:y1, x0:x1], alpha_src[y0:y1, x0:x1]
    target_h = max(8, int(h * rng.uniform(*height_frac)))
    scale = target_h / rgb.shape[0]
    target_w = max(4, int(rgb.shape[1] * scale))
    if target_w > w:  # a wide subject (a horse seen side-on) must still fit the frame
        target_h, target_w = max(8, int(target_h * w / target_w)), w
    rgb = cv2.resize(rgb, (target_w, target_h), interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = cv2.GaussianBlur(cv2.resize(alpha, (target_w, target_h), interpolation=cv2.INTER_AREA), (3, 3), 0)
    return rgb, alpha


def _blend(background: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, top: int, left: int,
           rng: np.random.Generator) -> np.ndarray:
    """Alpha-blend the subject with its top-left corner at (top, left), clipped to the canvas."""
    h, w = background.shape[:2]
    target_h, target_w = alpha.shape[:2]
    sy0, sx0 = max(0, -top), max(0, -left)
    dy0, dx0 = max(0, top), max(0, left)
    dy1, dx1 = min(h, top + target_h), min(w, left + target_w)
    if dy1 <= dy0 or dx1 <= dx0:
        return background
    region = (slice(dy0, dy1), slice(dx0, dx1))
    a = alpha[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0, None]
    src = rgb[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
    # Match the subject's exposure loosely to the scene so brightness is no cue.
    src = src * rng.uniform(0.8, 1.15)
    out = background.copy()
    out[region] = out[region] * (1 - a) + src * a
    return out


def paste(background: np.ndarray, cutout: Cutout, rng: np.random.Generator, height_frac: tuple[float, float],
          allow_offscreen: float = 0.3) -> np.ndarray:
    """Alpha-blend the subject into the background at a random scale and position."""
    h, w = background.shape[:2]
    rgb, alpha = _fit_subject(background, cutout, rng, height_frac)
    target_h, target_w = alpha.shape[:2]
    top = int(rng.uniform(min(0, h - target_h), max(1, h - target_h * (1 - allow_offscreen * 0.3))))
    left = int(rng.uniform(-target_w * allow_offscreen, w - target_w * (1 - allow_offscreen)))
    return _blend(background, rgb, alpha, top, left, rng)


def paste_at_edge(background: np.ndarray, cutout: Cutout, rng: np.random.Generator,
                  height_frac: tuple[float, float], visible: tuple[float, float] = (0.1, 0.4)) -> np.ndarray:
    """The subject entering or leaving at the left or right edge, only `visible` of its width in the frame.

    This is how a camera sees a horse walk in or out: a tail and hind legs, or a head and forelegs, as a
    narrow dark upright shape at the border.
    """
    h, w = background.shape[:2]
    rgb, alpha = _fit_subject(background, cutout, rng, height_frac)
    target_h, target_w = alpha.shape[:2]
    shown = max(2, int(round(target_w * rng.uniform(*visible))))
    left = w - shown if rng.random() < 0.5 else shown - target_w
    top = int(rng.uniform(min(0, h - target_h), max(1, h - target_h)))
    return _blend(background, rgb, alpha, top, left, rng)
