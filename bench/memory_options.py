"""Choose the false-positive memory's match on data: the learning curve of each option, replayed on one split.

Run from the repo root:  nice -n 10 python -m bench.memory_options [--split train] [--limit 600] [--workers 2]
Writes bench/results_memory_options.json and prints each option's curve.

The clips are the learning curve's (bench/memory_learning.py, bench/memory_scenes.py): per scene, its first clip, two
more tap clips, 4 later clips and 4 person clips. Each is scored once by the real inference handler (the released
models, detect mode, 8 region embeddings a clip so that "every region of the tapped clip" can be tried; the default
4 are the first 4 of them) and cached in bench/.cache/memory. The rounds are then replayed per option with the
dispatcher's own decision (domain.rule.decide_frames, domain.gates.gate) and the feedback function's entries: the
same code as the handlers, without the emulator, so an option costs seconds. The chosen option is then run through
the real handlers on the other split by bench/memory_learning.py: options are chosen on the TRAINING split's scenes
only, the reported curve is the VALIDATION split's.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .common import REPO, cache_dir, machine, write_json

sys.path.insert(0, str(REPO / "lambdas"))

SHARED = REPO.parent / "shared" / "data"
TOP_K = 8  # region embeddings a scored clip keeps here (the served default keeps the first 4 of these)
TAP_CLIPS, LATER_CLIPS = 3, 4
PERSON_CLIPS = (("anywhere", 0), ("anywhere", 1), ("beside", 0), ("in_front", 0))


# --- collecting: the real inference handler's answer for each clip of the learning curve --------------------------

class Scorer:
    """The real inference handler on a moto bucket, once per distinct clip (cached by its bytes and TOP_K)."""

    def __init__(self) -> None:
        import boto3

        from videoalert.aws.inference import InProcessInferenceClient
        from videoalert_inference import handler

        self.client = InProcessInferenceClient(handler.handler)
        self.s3 = boto3.client("s3")
        self.s3.create_bucket(Bucket="bench")
        from bench.memory_scenes import models_tag

        self.folder = cache_dir("memory", f"scored_k{TOP_K}_{models_tag(REPO / 'models')}")
        self.scored = 0

    def payload(self, data: bytes) -> dict[str, Any]:
        from videoalert_contract.inference import InferenceRequest

        path = self.folder / f"{hashlib.sha256(data).hexdigest()}.json"
        if path.exists():
            return json.loads(path.read_text())  # type: ignore[no-any-return]
        key = f"clips/{path.stem}.mp4"
        self.s3.put_object(Bucket="bench", Key=key, Body=data)
        answer = self.client.score(InferenceRequest(path.stem, "bench", (key,), top_k_embeddings=TOP_K)).to_payload()
        path.write_text(json.dumps(answer))
        self.scored += 1
        return answer


def _alerts(payload: dict[str, Any], threshold: float | None) -> bool:
    from videoalert.domain.rule import Rule, decide_frames
    from videoalert.domain.types import Decision
    from videoalert_contract.inference import parse_response

    result = parse_response(payload)
    return decide_frames(result.frames, Rule(threshold=threshold, cooldown_s=0), result.threshold).decision \
        == Decision.ALERT


def _best_box(payload: dict[str, Any]) -> tuple[float, ...] | None:
    boxed = [f for f in payload.get("frames") or [] if f.get("box")]
    return tuple(float(v) for v in max(boxed, key=lambda f: float(f["score"]))["box"]) if boxed else None


def collect_shard(job: tuple[Path, str, float | None, int, int, int | None]) -> list[dict[str, Any]]:
    """Every `workers`-th scene from `shard` on: its clips' answers (all of them when its first clip alerts)."""
    data, split, threshold, shard, workers, limit = job
    from moto import mock_aws

    from bench.memory_learning import environment
    from bench.memory_scenes import PEOPLE, people, person_composite, scene_clip, scenes

    os.environ.update(environment(REPO / "models"))
    real = data / "real" / "images"
    chosen = list(enumerate(scenes(real, split, limit)))[shard::workers]
    cutouts = people(real, split, cache_dir("memory", "cutouts"), PEOPLE)
    out = []
    started = time.perf_counter()
    with mock_aws():
        scorer = Scorer()
        for done, (index, scene) in enumerate(chosen, 1):
            first = scorer.payload(scene_clip(scene, "tap", 0))
            row: dict[str, Any] = {"scene": scene.name, "index": index, "tap": [first]}
            if _alerts(first, threshold):
                near = _best_box(first)
                row["tap"] += [scorer.payload(scene_clip(scene, "tap", i)) for i in range(1, TAP_CLIPS)]
                row["later"] = [scorer.payload(scene_clip(scene, "later", i)) for i in range(LATER_CLIPS)]
                row["persons"] = []
                for where, i in PERSON_CLIPS:
                    clip, box = person_composite(scene, cutouts, i, where, near)  # type: ignore[arg-type]
                    row["persons"].append([where, scorer.payload(clip), list(box)])
            out.append(row)
            if done % 25 == 0:
                print(f"  worker {shard}: {done}/{len(chosen)} scenes, {sum('later' in r for r in out)} alerting, "
                      f"{scorer.scored} clips scored, {time.perf_counter() - started:.0f} s", flush=True)
    return out


def collect(data: Path, split: str, threshold: float | None, workers: int, limit: int | None) -> list[dict[str, Any]]:
    jobs = [(data, split, threshold, shard, workers, limit) for shard in range(workers)]
    if workers == 1:
        shards = [collect_shard(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            shards = pool.map(collect_shard, jobs)
    return sorted((r for shard in shards for r in shard), key=lambda r: r["index"])



# --- replaying: the rounds of each option with the handlers' own decision code ------------------------------------

@dataclass(frozen=True)
class Option:
    """One way to match a later detection with what the taps remembered."""

    name: str
    # "distance", "offset" (score, no embedding), "knn" (vs a person bank), "camera_threshold"; "logistic" and
    # "prototype": bench/memory_classifiers.py
    kind: str = "distance"
    max_distance: float = 0.15  # cosine distance of the crops' embeddings
    min_iou: float = 0.3  # same place: the boxes' overlap
    margin: float | None = 0.2  # detector guard: at most the remembered detector score + margin (None: no guard)
    remember: str = "detecting"  # the tapped clip's regions remembered: "detecting" (over the threshold) or "all"
    top_k: int = 4  # region embeddings a clip keeps (the inference request's top_k_embeddings)
    offset: float = 0.0  # kind offset: a score at most the remembered one's + offset; camera_threshold: over the tap
    score_margin: float | None = None  # kind distance: also a classifier score at most the remembered one's + this


@dataclass
class Clip:
    """A scored clip as the dispatcher sees it."""

    frames: tuple[Any, ...]
    threshold: float
    embeddings: tuple[Any, ...]
    person_box: tuple[float, ...] | None = None
    where: str = ""


def parse(payload: dict[str, Any], person_box: Sequence[float] | None = None, where: str = "") -> Clip:
    from videoalert.domain.embeddings import FrameEmbedding
    from videoalert_contract.inference import parse_response

    result = parse_response(payload)
    return Clip(result.frames, result.threshold, tuple(FrameEmbedding.from_top(e) for e in result.top_embeddings),
                None if person_box is None else tuple(person_box), where)


@dataclass
class SceneClips:
    name: str
    tap: list[Clip]
    later: list[Clip] = field(default_factory=list)
    persons: list[Clip] = field(default_factory=list)


def load(rows: list[dict[str, Any]]) -> list[SceneClips]:
    return [SceneClips(r["scene"], [parse(p) for p in r["tap"]], [parse(p) for p in r.get("later", [])],
                       [parse(p, box, where) for where, p, box in r.get("persons", [])]) for r in rows]


def _vector(e: Any) -> np.ndarray:
    v = np.asarray(e.vector, np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _is_person(box: Sequence[float], person: Sequence[float]) -> bool:
    """The region is the pasted person: overlaps it (IoU >= 0.3) or holds 60 % of it."""
    from videoalert_contract.boxes import iou

    width = min(box[2], person[2]) - max(box[0], person[0])
    height = min(box[3], person[3]) - max(box[1], person[1])
    covered = max(0.0, width) * max(0.0, height) / max(1e-9, (person[2] - person[0]) * (person[3] - person[1]))
    return iou(box, person) >= 0.3 or covered >= 0.6


def person_bank(scenes: list[SceneClips]) -> dict[str, np.ndarray]:
    """Per scene, the unit embeddings of the pasted people's regions in every OTHER scene's person clips (a bank of
    people as this model frames them; leave-one-scene-out, so no scene's own person is in its bank)."""
    own = {s.name: [_vector(e) for c in s.persons for e in c.embeddings
                    if e.box is not None and c.person_box is not None and _is_person(e.box, c.person_box)]
           for s in scenes}
    return {name: np.array([v for other, vs in own.items() if other != name for v in vs] or np.zeros((0, 1)))
            for name in own}


class Camera:
    """One scene's camera: its remembered regions and its rule (cooldown 0: only the memory keeps a clip quiet)."""

    def __init__(self, option: Option, threshold: float | None, bank: np.ndarray):
        from videoalert.domain.rule import Rule

        self.option, self.bank = option, bank
        self.rule = Rule(threshold=threshold, cooldown_s=0)
        self.entries: list[Any] = []
        self.raised: float | None = None  # camera_threshold: the learned threshold

    def _matches(self, detection: Any) -> Any:
        from videoalert.domain.memory import MemoryMatch, MemoryPolicy, region_match
        from videoalert_contract.boxes import iou

        option = self.option
        if option.kind in ("logistic", "prototype"):
            from .memory_classifiers import match
            return match(self, detection)
        if option.kind == "distance":
            policy = MemoryPolicy(option.max_distance, min_iou=option.min_iou,
                                  detector_margin=9.0 if option.margin is None else option.margin)
            match = region_match(detection, self.entries, policy)
            if match is not None and option.score_margin is not None:
                entry = next(e for e in self.entries if e.entry_id == match.entry_id)
                if detection.score > entry.score + option.score_margin:
                    return None
            return match
        for entry in self.entries:
            if detection.box is None or entry.box is None or iou(detection.box, entry.box) < option.min_iou:
                continue
            if option.kind == "offset":
                if detection.score <= entry.score + option.offset:
                    return MemoryMatch(entry.video_id, entry.entry_id, 0.0, detection.t, detection.box)
            elif option.kind == "knn":
                v = _vector(detection)
                distance = 1.0 - float(v @ _vector(entry))
                nearest_person = 1.0 - float((self.bank @ v).max()) if len(self.bank) else 2.0
                if distance < nearest_person and distance <= option.max_distance:
                    return MemoryMatch(entry.video_id, entry.entry_id, distance, detection.t, detection.box)
        return None

    def alerts(self, clip: Clip) -> bool:
        """The dispatcher's decision: the rule, then the memory's regions taken out and the rule on the rest."""
        from videoalert.domain.memory import detections, outside
        from videoalert.domain.rule import decide_frames
        from videoalert.domain.types import Decision

        rule = self.rule if self.raised is None else replace(self.rule, threshold=self.raised)
        verdict = decide_frames(clip.frames, rule, clip.threshold)
        if verdict.decision != Decision.ALERT:
            return False
        if self.option.kind == "camera_threshold" or not self.entries:
            return True
        embeddings = clip.embeddings[:self.option.top_k]
        matches = [m for m in (self._matches(d) for d in sorted(detections(embeddings, verdict.threshold),
                                                                  key=lambda e: -e.score)) if m is not None]
        if not matches:
            return True
        return decide_frames(outside(clip.frames, matches), rule, verdict.threshold).decision == Decision.ALERT

    def tap(self, clip: Clip, video_id: str) -> None:
        """The feedback function's false-positive label: the tapped clip's regions are remembered."""
        from videoalert.domain.memory import MemoryEntry, detections
        from videoalert.domain.rule import decide_frames

        embeddings = clip.embeddings[:self.option.top_k]
        threshold = decide_frames(clip.frames, self.rule, clip.threshold).threshold
        if self.option.kind == "camera_threshold":
            self.raised = min(0.999, max(self.raised or 0.0, max(f.score for f in clip.frames) + self.option.offset))
            return
        chosen = embeddings if self.option.remember == "all" else detections(embeddings, threshold)
        now = datetime(2026, 12, 7, tzinfo=UTC)
        self.entries += [MemoryEntry("cam", f"{video_id}#{i:02d}", video_id, e.t, e.score, e.region, e.vector,
                                     now.isoformat(), box=e.box, detector_score=e.detector_score)
                         for i, e in enumerate(chosen)]


def person_found(clip: Clip, threshold: float | None) -> bool:
    """The rule alerts on the pasted person's own regions (not only on the scene's false person beside them)."""
    from videoalert.domain.rule import Rule, decide_frames
    from videoalert.domain.types import Decision

    own = [f for f in clip.frames if f.box is not None and clip.person_box is not None
           and _is_person(f.box, clip.person_box)]
    return decide_frames(own, Rule(threshold=threshold, cooldown_s=0), clip.threshold).decision == Decision.ALERT


def replay(scene: SceneClips, option: Option, threshold: float | None, bank: np.ndarray) -> list[dict[str, Any]]:
    """The learning curve's rounds for one scene: round n taps the n-th tap clip if it alerts, then the later and
    person clips are judged."""
    camera = Camera(option, threshold, bank)
    rounds, taps = [], 0
    for n in range(TAP_CLIPS + 1):
        if n >= 1 and camera.alerts(scene.tap[n - 1]):
            camera.tap(scene.tap[n - 1], f"tap{n - 1}")
            taps += 1
        rounds.append({"taps": taps, "later": [camera.alerts(c) for c in scene.later],
                       "persons": [(c.where, camera.alerts(c)) for c in scene.persons]})
    return rounds


def curve(scenes: list[SceneClips], option: Option, threshold: float | None,
          banks: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per round: later no-person clips alerting, and of the person clips alerting untaught, those still alerting."""
    taught = [s for s in scenes if s.later]
    replays = [replay(s, option, threshold, banks.get(s.name, np.zeros((0, 1)))) for s in taught]
    founds = [person_found(c, threshold) for s in taught for c in s.persons]
    rows = []
    for n in range(TAP_CLIPS + 1):
        later = [a for r in replays for a in r[n]["later"]]
        persons = [(w, a, base) for r in replays
                   for (w, a), (_, base) in zip(r[n]["persons"], r[0]["persons"], strict=True)]
        still = [a for _, a, base in persons if base]
        # The person clips whose person the rule finds (its own regions alert untaught): the ones a memory must not
        # mute. The others alert untaught only through the scene's false person beside them.
        found = [a for (_, a, base), f in zip(persons, founds, strict=True) if base and f]
        rows.append({"round": n, "taps": sum(r[n]["taps"] for r in replays), "later_clips": len(later),
                     "later_alerting": int(sum(later)), "person_alerting_untaught": len(still),
                     "person_still_alerting": int(sum(still)), "person_found_untaught": len(found),
                     "person_found_still_alerting": int(sum(found)),
                     "in_front": [int(sum(a for w, a, b in persons if b and w == "in_front")),
                                  sum(b for w, _, b in persons if w == "in_front")]})
    return rows


OPTIONS: list[Option] = (
    [Option("shipped: region IoU 0.3 + distance 0.15 + detector guard 0.2")]
    + [Option(f"distance {d}", max_distance=d) for d in (0.01, 0.03, 0.05, 0.07, 0.1, 0.2, 0.3)]
    + [Option(f"IoU {u}", min_iou=u) for u in (0.0, 0.1, 0.2)]
    + [Option(f"no detector guard, distance {d}", margin=None, max_distance=d) for d in (0.03, 0.05, 0.15)]
    + [Option(f"detector guard {m}", margin=m) for m in (0.1, 0.3)]
    + [Option("remember all 4 regions", remember="all"), Option("8 regions a clip", top_k=8),
       Option("8 regions a clip, all remembered", top_k=8, remember="all")]
    + [Option(f"{k} regions, {r} remembered, IoU {u} + distance {d}{'' if m else ', no guard'}", top_k=k,
              remember=r, min_iou=u, max_distance=d, margin=m)
       for k, r in ((4, "detecting"), (8, "all")) for u in (0.1, 0.2, 0.3) for d in (0.03, 0.05, 0.07, 0.1)
       for m in (0.2, None)]
    + [Option(f"8 regions, all remembered, IoU {u} + distance {d}, detector guard {m}"
              + (f", score guard {g}" if g is not None else ""), top_k=8, remember="all", min_iou=u, max_distance=d,
              margin=m, score_margin=g)
       for u in (0.15, 0.2, 0.25) for d in (0.07, 0.1, 0.15) for m in (0.25, 0.3, 0.4) for g in (None, 0.1, 0.2)]
    + [Option(f"score offset {o} in place (no embedding), IoU {u}", kind="offset", offset=o, min_iou=u)
       for o in (0.05, 0.1, 0.2) for u in (0.1, 0.3)]
    + [Option(f"per-camera nearest neighbour vs person bank, {k} regions, IoU {u}, distance {d}", kind="knn",
              top_k=k, remember="all" if k == 8 else "detecting", min_iou=u, max_distance=d)
       for k in (4, 8) for u in (0.1, 0.3) for d in (0.05, 0.1, 0.4)]
    + [Option(f"per-camera threshold: tapped clip's best score + {o}", kind="camera_threshold", offset=o)
       for o in (0.0, 0.05)]
)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100.0 * part / whole:.1f} %)" if whole else "0/0"


def print_option(name: str, rows: list[dict[str, Any]]) -> None:
    cells = [f"{r['round']}: quiet {_pct(r['later_clips'] - r['later_alerting'], r['later_clips'])}, people "
             f"{_pct(r['person_still_alerting'], r['person_alerting_untaught'])}, people found "
             f"{_pct(r['person_found_still_alerting'], r['person_found_untaught'])}" for r in rows[1:]]
    print(f"{name}\n    " + "\n    ".join(cells), flush=True)


def choose(results: list[dict[str, Any]], people_floor: float = 0.96) -> dict[str, Any] | None:
    """The rule of choice, fixed before the validation split is looked at: the most later clips quiet summed over 1-3
    taps among the options keeping at least `people_floor` of the person clips whose person is found alerting after
    every tap; ties to the one keeping more person clips."""
    def share(row: dict[str, Any], part: str, whole: str) -> float:
        return row[part] / row[whole] if row[whole] else 1.0

    safe = [r for r in results if all(share(row, "person_found_still_alerting", "person_found_untaught") >= people_floor
                                      for row in r["rounds"][1:])]
    return max(safe, key=lambda r: (sum(row["later_clips"] - row["later_alerting"] for row in r["rounds"][1:]),
                                    sum(row["person_still_alerting"] for row in r["rounds"][1:])), default=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--split", choices=("train", "validation"), default="train")
    parser.add_argument("--threshold", type=float, default=0.3, help="the cameras' rule threshold (the curve's)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="replay only the options whose name holds this")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results_memory_options.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from bench.memory_scenes import models_tag

    tag = models_tag(REPO / "models")
    collected = cache_dir("memory") / f"options_{args.split}_{args.threshold:g}_{args.limit}_{tag}.json"
    if collected.exists():
        rows = json.loads(collected.read_text())
    else:
        rows = collect(args.data, args.split, args.threshold, args.workers, args.limit)
        collected.write_text(json.dumps(rows))
    print(f"{len(rows)} scenes, {sum('later' in r for r in rows)} alerting first, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    scenes = load(rows)
    banks = person_bank(scenes)
    from .memory_classifiers import options as more_options

    results = []
    for option in [o for o in OPTIONS + more_options(Option) if args.only in o.name]:
        rows_of = curve(scenes, option, args.threshold, banks)
        print_option(option.name, rows_of)
        results.append({"option": option.__dict__, "rounds": rows_of})
    chosen = choose(results)
    print(f"chosen by the rule (people found >= 96 % after every tap, most quiet): "
          f"{chosen['option']['name'] if chosen else None}", flush=True)
    write_json(args.out, {"split": args.split, "chosen": chosen["option"]["name"] if chosen else None,
                          "threshold": args.threshold, "scenes": len(rows),
                          "scenes_alerting_first": sum("later" in r for r in rows), "machine": machine(),
                          "options": results, "elapsed_s": round(time.perf_counter() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
