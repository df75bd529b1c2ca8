"""Cheaper frames for the same sampling grid: the last frame sampled in a GOP ends that GOP's decoding, so it may be an
earlier one, at most `window_s` before the frame the grid picked (and after the previous sampled frame), when that
saves at least MIN_SAVING of the GOP's decoding: its keyframe, else the earliest frame in the window.

A camera's 2 s GOP sampled at 1 fps then decodes its frames up to 0.5 s instead of up to 1 s: about half of them
(bench/README.md, "CPU per clip"). Long GOPs (a sample every second, each needing the frames before it) keep their
frames, the saving being a few percent. Decided from the demuxed packets before anything is decoded; samples stay in
time order and one per grid time, two consecutive ones at most a period plus window_s apart.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from .containers import Packet

# The least part of a GOP's decoding (its length up to the frame the grid picked) a moved frame must save.
MIN_SAVING = 0.25


def cheaper_choice(packets: Sequence[Packet], times: dict[int, float], chosen: set[int], window_s: float,
                   floor_s: float = float("-inf")) -> set[int]:
    """The chosen frames (pts), the last of each GOP replaced by a cheaper one at most window_s earlier where that
    saves enough; `packets` in decode order, `times` pts -> clip seconds; floor_s: no frame at or before it."""
    if window_s <= 0 or not chosen:
        return chosen
    gop: dict[int, int] = {}
    starts: list[float] = []  # each GOP's keyframe time
    for packet in packets:
        if packet.is_keyframe or not starts:
            starts.append(times.get(packet.pts, float("inf")))
        gop[packet.pts] = len(starts) - 1
    ordered = sorted((pts for pts in times if pts in gop), key=times.__getitem__)
    clock = [times[pts] for pts in ordered]
    picks = sorted(chosen, key=times.__getitem__)
    result: list[int] = []
    for n, pts in enumerate(picks):
        t, here = times[pts], gop[pts]
        if n + 1 < len(picks) and gop[picks[n + 1]] == here:  # the GOP is decoded further anyway
            result.append(pts)
            continue
        # At most window_s earlier (timestamps are rounded: a hair's tolerance), after the previous sample.
        lo = max(t - window_s - 1e-6, floor_s if not result else times[result[-1]])
        window = [p for p in ordered[bisect_right(clock, lo):bisect_left(clock, t) + 1] if gop[p] == here]
        keys = [p for p in window if times[p] == starts[here]]
        pick = keys[0] if keys else (window[0] if window else pts)
        decoded = t - min(starts[here], t)
        result.append(pick if keys or t - times[pick] >= MIN_SAVING * decoded else pts)
    return set(result)
