"""Which packets of a part to decode for its chosen frames: ranges that end at the last chosen frame of each GOP, and
the segments between decoder resets, which decode independently (on parallel decoders)."""
from __future__ import annotations

from .containers import Packet

Plan = list[tuple[int, int, bool]]


def segments(plan: Plan) -> list[Plan]:
    """Split the plan where the decoder is reset: each segment then decodes on a fresh decoder, independently."""
    segments: list[Plan] = []
    current: Plan = []
    for step in plan:
        current.append(step)
        if step[2]:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def decode_plan(packets: list[Packet], chosen_pts: set[int]) -> Plan:
    """Packet index ranges [lo, hi) to decode, each ending at the last chosen frame of its GOP.

    `reset_after` is true where the packets that follow the range are skipped: the decoder is drained and
    reset so it starts clean at the next keyframe. GOPs with leading pictures (open GOP: frames shown before
    their keyframe, referencing the previous GOP) are decoded whole, since skipping would corrupt them.
    """
    starts = [i for i, p in enumerate(packets) if p.is_keyframe] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, [*starts[1:], len(packets)], strict=True))
    open_gop = any(p.pts < packets[lo].pts for lo, hi in bounds[1:] for p in packets[lo:hi])
    if open_gop:
        bounds = [(0, len(packets))]
    ranges: list[tuple[int, int]] = []
    for lo, hi in bounds:
        needed = [i for i in range(lo, hi) if packets[i].pts in chosen_pts]
        if needed:
            ranges.append((lo, needed[-1] + 1))
    plan: Plan = []
    for n, (lo, hi) in enumerate(ranges):
        next_lo = ranges[n + 1][0] if n + 1 < len(ranges) else None
        # Drain at the end too: frames still held back for reordering must come out.
        plan.append((lo, hi, next_lo is None or next_lo != hi))
    return plan
