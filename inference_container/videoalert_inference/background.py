"""A per-pixel Gaussian-mixture background model (Zivkovic's MOG2, as OpenCV has it) in numpy, for grey images."""
from __future__ import annotations

import numpy as np


class BackgroundModel:
    """OpenCV's BackgroundSubtractorMOG2 with detectShadows=False, one channel, vectorised over the pixels.

    Each pixel keeps up to `modes` Gaussians (weight, mean, variance), sorted by weight. A value is background
    if it lies within var_threshold (squared Mahalanobis distance) of one of the heaviest modes whose weights
    add up to background_ratio; it updates the first mode within var_threshold_gen of it, or else starts a new
    mode (replacing the lightest when all are in use). Every weight decays by the learning rate, and by a
    further complexity-reduction prior that drops modes no recent value has supported (Zivkovic 2004, 2006).

    The update follows OpenCV's loop over a pixel's modes step by step, in float32 as there (the modes are the
    loop, the pixels the vector), quirks included: the loop stops early once modes are pruned, and a pruned mode
    inside the kept count stays with weight 0. On the same input its masks are OpenCV's bit for bit (checked on
    the shared clips, the test scenes and random multi-modal sequences against OpenCV 5.0).
    """

    def __init__(self, history: int = 500, var_threshold: float = 16.0, *, modes: int = 5,
                 background_ratio: float = 0.9, var_threshold_gen: float = 9.0, var_init: float = 15.0,
                 var_min: float = 4.0, var_max: float = 75.0, complexity_reduction: float = 0.05):
        self.history = history
        self.var_threshold = var_threshold
        self.modes = modes
        self.background_ratio = background_ratio
        self.var_threshold_gen = var_threshold_gen
        self.var_init = var_init
        self.var_min, self.var_max = min(var_min, var_max), max(var_min, var_max)
        self.complexity_reduction = complexity_reduction
        self.frames = 0
        self._shape: tuple[int, ...] | None = None

    def _initialise(self, shape: tuple[int, ...]) -> None:
        pixels = int(np.prod(shape))
        self._shape = shape
        self.frames = 0
        self._weight = np.zeros((self.modes, pixels), np.float32)
        self._mean = np.zeros((self.modes, pixels), np.float32)
        self._var = np.zeros((self.modes, pixels), np.float32)
        self._used = np.zeros(pixels, np.int8)  # modes in use per pixel
        self._slots = np.arange(self.modes)[:, None]

    def apply(self, image: np.ndarray, learning_rate: float = -1.0) -> np.ndarray:
        """Foreground mask of this image (255 foreground, 0 background), then learn it.

        learning_rate < 0: 1 / min(2 * frames seen, history), so the first frames are learnt fast;
        learning_rate >= 1: forget everything and start again from this image.
        """
        if self._shape is None or self.frames == 0 or learning_rate >= 1 or image.shape != self._shape:
            self._initialise(image.shape)
        self.frames += 1
        if not (learning_rate >= 0 and self.frames > 1):
            learning_rate = 1.0 / min(2 * self.frames, self.history)
        background = self._update(image.reshape(-1).astype(np.float32), float(learning_rate))
        return (~background).view(np.uint8).reshape(image.shape) * np.uint8(255)

    def _update(self, x: np.ndarray, learning_rate: float) -> np.ndarray:
        # Masks select by multiplying (x * True == x, x * False == 0): much faster than np.where here.
        weight, mean, var, K = self._weight, self._mean, self._var, self.modes
        alpha = np.float32(learning_rate)
        one_minus = np.float32(1) - alpha
        prune = np.float32(-learning_rate * self.complexity_reduction)  # in double first, as OpenCV does
        tb, tg = np.float32(self.var_threshold), np.float32(self.var_threshold_gen)
        ratio, tiny = np.float32(self.background_ratio), np.finfo(np.float32).tiny
        n = self._used.copy()  # OpenCV decrements this as modes are pruned, which also ends the loop early
        fits = np.zeros(x.shape, bool)
        background = np.zeros(x.shape, bool)
        total = np.zeros(x.shape, np.float32)  # weight of the modes before this one (after their update)
        matched = np.zeros(x.shape, np.int8)  # the slot of the mode that fits
        target = np.zeros(x.shape, np.int8)  # where that mode moves up to
        for k in range(K):
            active = n > k
            if not active.any():
                break
            looking = active & ~fits
            diff = mean[k] - x
            dist2 = diff * diff
            v = var[k]
            background |= looking & (dist2 < tb * v) & (total < ratio)
            hit = looking & (dist2 < tg * v)
            w = one_minus * weight[k] + prune + alpha * hit
            if hit.any():
                fits |= hit
                matched += np.int8(k) * hit
                # Learn x (step 0 elsewhere, which leaves the mean as it was).
                step = (alpha * hit) / np.maximum(w, tiny)
                mean[k] -= step * diff
                var[k] = np.where(hit, np.clip(v + step * (dist2 - v), self.var_min, self.var_max), v)
                if k:  # it moves up past the modes it now weighs at least as much as (those above are sorted)
                    target += hit * (weight[:k] > w).sum(axis=0, dtype=np.int8)
            kept = active & (w >= -prune)
            n -= active & ~kept
            w *= kept  # pruned, or past the end (never read again)
            weight[k] = w
            total += w
        idx = np.flatnonzero(fits & (target != matched))
        self._move(idx, matched[idx], target[idx])
        # Renormalise; where no mode fitted and all were pruned the weights are 0 (a new mode follows).
        weight *= (total > np.finfo(np.float32).eps) / np.maximum(total, tiny)
        if alpha > 0:
            # Nothing fitted: a new mode at x, in the next free slot or the lightest mode's.
            idx = np.flatnonzero(~fits)
            slot = np.minimum(n[idx], K - 1)
            n[idx] = np.minimum(n[idx] + 1, K)
            weight[:, idx] *= np.where(self._slots < slot, one_minus, np.float32(1))
            weight[slot, idx] = np.where(n[idx] == 1, np.float32(1), alpha)
            mean[slot, idx] = x[idx]
            var[slot, idx] = np.float32(self.var_init)
            up = ((weight[:, idx] > alpha) & (self._slots < slot)).sum(axis=0)
            moving = up != slot
            self._move(idx[moving], slot[moving], up[moving])
        self._used = n
        return background

    def _move(self, idx: np.ndarray, source: np.ndarray, target: np.ndarray) -> None:
        """For pixels idx, move the mode in slot source up to slot target; those in between shift down one."""
        if idx.size == 0:
            return
        k = self._slots
        order = np.where((k > target) & (k <= source), k - 1, k)
        order = np.where(k == target, source, order)
        for a in (self._weight, self._mean, self._var):
            a[:, idx] = np.take_along_axis(a[:, idx], order, axis=0)
