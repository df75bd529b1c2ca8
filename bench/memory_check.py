"""Does the replay (bench/memory_options.py) decide as the handlers do (bench/memory_learning.py)? Clip by clip.

Run from the repo root, after both on the same split, threshold and scenes:
    python -m bench.memory_check bench/.cache/memory/options_train_0.3_400.json bench/results_memory_learning_X.json
Prints, per round, the clips where the replay of the shipped setting and the handlers' record disagree.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .memory_options import Option, load, replay


def shipped() -> Option:
    """The defaults the handlers run with (domain.memory, domain.rule)."""
    from videoalert.domain.memory import DEFAULT_DETECTOR_MARGIN, DEFAULT_MIN_IOU
    from videoalert.domain.rule import DEFAULT_FP_REGION_DISTANCE

    return Option("shipped", top_k=8, remember="all", min_iou=DEFAULT_MIN_IOU, max_distance=DEFAULT_FP_REGION_DISTANCE,
                  margin=DEFAULT_DETECTOR_MARGIN)


def compare(collected: list[dict[str, Any]], handled: dict[str, Any]) -> dict[str, Any]:
    by_name = {s.name: s for s in load([r for r in collected if "later" in r])}
    same = differ = 0
    differences = []
    for result in handled["scenes"]:
        if "rounds" not in result or result["scene"] not in by_name:
            continue
        rounds = replay(by_name[result["scene"]], shipped(), handled["threshold"], np.zeros((0, 1)))
        for n, (ours, theirs) in enumerate(zip(rounds, result["rounds"], strict=True)):
            pairs = list(zip(ours["later"], theirs["later"], strict=True)) + [
                (a, d) for (_, a), (_, d) in zip(ours["persons"], theirs["persons"], strict=True)]
            for i, (alerts, decision) in enumerate(pairs):
                if alerts == (decision == "ALERT"):
                    same += 1
                else:
                    differ += 1
                    differences.append({"scene": result["scene"], "round": n, "clip": i, "replay_alerts": alerts,
                                        "handlers": decision})
    return {"clips_compared": same + differ, "same": same, "different": differ, "differences": differences}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    collected = json.loads(Path(args[0]).read_text())
    handled = json.loads(Path(args[1]).read_text())
    print(json.dumps(compare(collected, handled), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
