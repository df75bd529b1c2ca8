"""The false-positive memory's learning curve: after 1, 2 and 3 taps on a scene's false alerts, how many later
no-person clips of that scene still alert, and how many clips with a person in it still do.

Run from the repo root:  nice -n 10 python -m bench.memory_learning [--split validation] [--threshold T]
Writes bench/results_memory_learning[_<threshold>].json and prints the curve.

Per scene (a real person-free photo of the split, bench/memory_scenes.py), a camera of its own with the default rule
(cooldown 0: only the memory can keep a clip quiet). Everything goes through the real handlers on moto: each clip is
uploaded to uploads/<camera>/ and its job handed to the camera worker (lambdas/camera_worker.py), which calls the
real inference handler (the released models, detect mode); a tap is a POST to the feedback function's handler
(lambdas/feedback.py). The inference is a pure function of the clip, so each distinct clip is scored once and its
answer reused (cached in bench/.cache/memory, keyed by the clip's sha256).

A scene is in the curve when its first clip alerts (there is something to tap). Round n (0-3): the n-th tap clip is
uploaded and, if it alerts, labelled not a person (a tap); then 4 later clips of the scene and 4 person clips (2 with
the person anywhere, 1 beside the region the first alert boxed, 1 in front of it) are uploaded, each as a new clip.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .common import REPO, cache_dir, machine, write_json

sys.path.insert(0, str(REPO / "lambdas"))

TAP_CLIPS = 3
LATER_CLIPS = 4
PERSON_CLIPS = (("anywhere", 0), ("anywhere", 1), ("beside", 0), ("in_front", 0))
SHARED = REPO.parent / "shared" / "data"
EXPORT_VALIDATION_PERCENT = 30  # labelled clips (by video id) held out of a retraining: the gate's "labelled clips"
FEEDBACK_EVENT = REPO / "tests" / "handlers" / "events" / "feedback_function_url.json"


class CachedInference:
    """The real inference handler, called once per distinct clip and number of region embeddings asked for (keyed by
    the clip's SHA-256, kept on disk: bench/memory_options.py fills the same folders)."""

    def __init__(self, s3: Any, folder: Path):
        from videoalert.aws.inference import InProcessInferenceClient
        from videoalert_inference import handler

        self.real = InProcessInferenceClient(handler.handler)
        from bench.memory_scenes import models_tag

        self.s3, self.folder = s3, folder
        self.tag = models_tag(Path(os.environ.get("MODEL_DIR", REPO / "models")))
        self.scored = self.reused = 0
        self.seconds = 0.0

    def score(self, request: Any) -> Any:
        from videoalert_contract.inference import parse_response

        data = b"".join(self.s3.get_object(Bucket=request.bucket, Key=k)["Body"].read() for k in request.keys)
        folder = self.folder / f"scored_k{request.top_k_embeddings}_{self.tag}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{hashlib.sha256(data).hexdigest()}.json"
        if path.exists():
            self.reused += 1
            return replace(parse_response(json.loads(path.read_text())), video_id=request.video_id)
        started = time.perf_counter()
        result = self.real.score(request)
        self.seconds += time.perf_counter() - started
        self.scored += 1
        path.write_text(json.dumps(result.to_payload()))
        return result


@dataclass
class Pipeline:
    """The moto resources and the handlers' dependencies, one camera per scene."""

    sess: Any
    res: Any
    deps: Any
    inference: CachedInference
    uploads: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def camera(self, camera_id: str, threshold: float | None) -> None:
        from videoalert.domain.rule import Rule

        self.deps.cameras.register(camera_id, Rule(threshold=threshold, cooldown_s=0))

    def upload(self, camera_id: str, name: str, data: bytes) -> dict[str, Any]:
        """Upload a clip and run its job through the camera worker; the clip's record."""
        import camera_worker

        from videoalert.domain.ids import upload_video_id
        from videoalert.domain.jobs import CameraJob, JobKind

        s3 = self.sess.client("s3")
        key = f"uploads/{camera_id}/{name}.mp4"
        put = s3.put_object(Bucket=self.res.video_bucket, Key=key, Body=data)
        job = CameraJob(JobKind.UPLOAD, camera_id, self.deps.clock(), self.res.video_bucket, key, put["ETag"],
                        put.get("VersionId"))
        event = {"Records": [{"messageId": f"m{self.uploads}", "body": job.to_message(), "eventSource": "aws:sqs",
                              "attributes": {"MessageGroupId": camera_id}}]}
        self.uploads += 1
        answer = camera_worker.handler(event, _Context())
        if answer["batchItemFailures"]:
            raise RuntimeError(f"the worker failed on {key}")
        video_id = upload_video_id(camera_id, self.res.video_bucket, key, put["ETag"])
        record = self.deps.records.get(video_id)
        if record is None or record.decision is None:
            raise RuntimeError(f"{key}: no decision recorded ({record})")
        return record.to_item()

    def tap(self, video_id: str) -> dict[str, Any]:
        """The user taps "not a person" on the alert: the feedback function's handler."""
        import feedback

        event = json.loads(FEEDBACK_EVENT.read_text())
        event["body"] = json.dumps({"video_id": video_id, "label": "false_positive"})
        answer = feedback.handler(event, _Context())
        if answer["statusCode"] != 200:
            raise RuntimeError(f"feedback on {video_id}: {answer}")
        return json.loads(answer["body"])


class _Context:
    function_name = "videoalert-bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:videoalert-bench"
    aws_request_id = "bench"


def best_box(record: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The box of the best region that made the alert (where the user saw the false person)."""
    boxed = [e for e in record.get("frame_scores") or [] if e.get("box")]
    if not boxed:
        return None
    best = max(boxed, key=lambda e: float(e["score"]))
    return tuple(float(v) for v in best["box"])  # type: ignore[return-value]


def run_scene(pipe: Pipeline, scene: Any, index: int, cutouts: list, threshold: float | None) -> dict[str, Any]:
    """One scene's rounds: its first clip, then per round a tap (if the tap clip alerts) and the evaluation clips."""
    from bench.memory_scenes import person_clip, scene_clip

    camera_id = f"s{index:04d}"
    pipe.camera(camera_id, threshold)
    first = pipe.upload(camera_id, "tap0", scene_clip(scene, "tap", 0))
    out: dict[str, Any] = {"scene": scene.name, "camera": camera_id, "first": first["decision"],
                           "first_max": first.get("max_score")}
    if first["decision"] != "ALERT":
        return out
    near = best_box(first)
    later = [scene_clip(scene, "later", i) for i in range(LATER_CLIPS)]
    persons = [(where, person_clip(scene, cutouts, i, where, near)) for where, i in PERSON_CLIPS]
    rounds = []
    taps = 0
    for n in range(TAP_CLIPS + 1):
        tapped = None
        if n >= 1:
            record = first if n == 1 else pipe.upload(camera_id, f"tap{n - 1}", scene_clip(scene, "tap", n - 1))
            if record["decision"] == "ALERT":
                answer = pipe.tap(record["video_id"])
                taps += 1
                tapped = {"video_id": record["video_id"], "memory_added": answer["memory_added"]}
        later_decisions = [pipe.upload(camera_id, f"r{n}-later{i}", clip)["decision"] for i, clip in enumerate(later)]
        person_decisions = [(where, pipe.upload(camera_id, f"r{n}-person{i}", clip)["decision"])
                            for i, (where, clip) in enumerate(persons)]
        rounds.append({"round": n, "taps": taps, "tapped": tapped, "later": later_decisions,
                       "persons": person_decisions})
    out["rounds"] = rounds
    out["memory_entries"] = len(pipe.deps.memory.entries(camera_id))
    return out


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per round: the share of later no-person clips alerting, of person clips alerting (all, and of those that
    alerted with no tap), by where the person stood."""
    taught = [r for r in results if "rounds" in r]
    rows = []
    for n in range(TAP_CLIPS + 1):
        later = [d for r in taught for d in r["rounds"][n]["later"]]
        persons = [(w, d, base) for r in taught
                   for (w, d), (_, base) in zip(r["rounds"][n]["persons"], r["rounds"][0]["persons"], strict=True)]
        alerted_before = [(w, d) for w, d, base in persons if base == "ALERT"]
        row = {"round": n, "taps": sum(r["rounds"][n]["taps"] for r in taught),
               "later_clips": len(later), "later_alerting": sum(d == "ALERT" for d in later),
               "later_suppressed": sum(d == "SUPPRESSED" for d in later),
               "person_clips": len(persons), "person_alerting": sum(d == "ALERT" for _, d, _ in persons),
               "person_clips_alerting_untaught": len(alerted_before),
               "person_still_alerting": sum(d == "ALERT" for _, d in alerted_before),
               "by_place": {}}
        for where in dict.fromkeys(w for w, _ in PERSON_CLIPS):
            mine = [(d, base) for w, d, base in persons if w == where]
            row["by_place"][where] = {"clips": len(mine), "alerting": sum(d == "ALERT" for d, _ in mine),
                                      "alerting_untaught": sum(b == "ALERT" for _, b in mine),
                                      "still_alerting": sum(d == "ALERT" and b == "ALERT" for d, b in mine)}
        rows.append(row)
    return {"scenes": len(results), "scenes_alerting_first": len(taught), "rounds": rows}


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100.0 * part / whole:.1f} %)" if whole else "0/0"


def print_curve(summary: dict[str, Any]) -> None:
    print(f"scenes {summary['scenes']}, first clip alerting (taught) {summary['scenes_alerting_first']}")
    for row in summary["rounds"]:
        print(f"after {row['round']} tap(s) (taps given {row['taps']}): later no-person clips alerting "
              f"{_share(row['later_alerting'], row['later_clips'])}; person clips alerting "
              f"{_share(row['person_alerting'], row['person_clips'])}, of those alerting untaught "
              f"{_share(row['person_still_alerting'], row['person_clips_alerting_untaught'])}; by place "
              + ", ".join(f"{w} {_share(p['still_alerting'], p['alerting_untaught'])}"
                          for w, p in row["by_place"].items()), flush=True)


def environment(model_dir: Path) -> dict[str, str]:
    """The handlers' environment: dummy credentials for moto, the models under test, quiet logs."""
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "MODEL_DIR": str(model_dir),
            "POWERTOOLS_METRICS_NAMESPACE": "videoalert", "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING"}


def run_shard(job: tuple[Path, str, float | None, int, int, int, frozenset[str] | None, Path | None, int | None]
              ) -> dict[str, Any]:
    """Every `workers`-th scene from `shard` on (only those named in `only`, if given): an emulator of its own, the
    handlers wired to it. With `export`, the labelled clips are then exported as `videoalert export-dataset` does,
    into export/part<shard>."""
    data, split, threshold, shard, workers, limit, only, export, people_limit = job
    import camera_worker
    import dispatcher
    import feedback
    from moto import mock_aws

    from bench.memory_scenes import people, scenes
    from videoalert.app.dependencies import Dependencies
    from videoalert.aws.s3 import ClipStore
    from videoalert.aws.sns import AlertPublisher
    from videoalert.store.cameras import CameraStore
    from videoalert.store.memory import FpMemory
    from videoalert.store.videos import VideoRecords
    from videoalert.wiring import FeedbackStores
    from videoalert_local.emulator import create_resources, session

    started = time.perf_counter()
    real = data / "real" / "images"
    chosen = [(i, s) for i, s in list(enumerate(scenes(real, split, limit)))[shard::workers]
              if only is None or s.name in only]
    cutouts = people(real, split, cache_dir("memory", "cutouts"), people_limit)
    results = []
    with mock_aws():
        sess = session()
        res = create_resources(sess, cameras=())
        ddb = sess.resource("dynamodb")
        s3 = sess.client("s3")
        inference = CachedInference(s3, cache_dir("memory"))
        deps = Dependencies(
            settings=res.settings(max_video_bytes=500 * 1024 * 1024),
            records=VideoRecords(ddb.Table(res.videos_table)),
            cameras=CameraStore(ddb.Table(res.cameras_table)),
            clips=ClipStore(s3, res.video_bucket),
            inference=inference,
            alerts=AlertPublisher(sess.client("sns"), res.alert_topic_arn),
            memory=FpMemory(ddb.Table(res.fp_memory_table)),
        )
        dispatcher._dependencies = deps
        camera_worker._dependencies = deps
        feedback._stores = FeedbackStores(records=deps.records, cameras=deps.cameras, memory=deps.memory)
        pipe = Pipeline(sess, res, deps, inference)
        for done, (index, scene) in enumerate(chosen, 1):
            results.append(run_scene(pipe, scene, index, cutouts, threshold))
            if done % 20 == 0:
                taught = sum("rounds" in r for r in results)
                print(f"  worker {shard}: {done}/{len(chosen)} scenes, {taught} taught, {inference.scored} clips "
                      f"scored ({inference.seconds:.0f} s), {time.perf_counter() - started:.0f} s", flush=True)
        if export is not None:
            export_labelled(deps, s3, export / f"part{shard}")
    return {"results": results, "scored": inference.scored, "reused": inference.reused}


def export_labelled(deps: Any, s3: Any, out: Path) -> int:
    """The labelled clips as `videoalert export-dataset` writes them (its own export function; the held-out part
    chosen by video id)."""
    from videoalert_cli.dataset_export import export

    records = [r.to_item() for r in deps.records.labelled()]
    rows = export(records, lambda bucket, key: bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read()), out,
                  validation_percent=EXPORT_VALIDATION_PERCENT)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--split", choices=("validation", "train"), default="validation")
    parser.add_argument("--threshold", type=float, default=None, help="the cameras' rule threshold (default: the "
                        "model card's); a lower one makes a more sensitive camera, with more false alerts to teach")
    parser.add_argument("--limit", type=int, default=None, help="at most this many scenes (spread over the folders)")
    parser.add_argument("--workers", type=int, default=2, help="processes, each with its own emulator and scenes")
    parser.add_argument("--taught-from", type=Path, default=None, help="an earlier result of the same split and "
                        "threshold: run again only its scenes whose first clip alerted")
    parser.add_argument("--scenes-from", type=Path, default=None, help="a bench/memory_options.py collection "
                        "(bench/.cache/memory/options_<split>_<threshold>_<limit>.json): run its alerting scenes only")
    parser.add_argument("--taught", type=int, default=None, help="with --scenes-from: the first N of them")
    parser.add_argument("--export", type=Path, default=None, help="export the labelled clips here afterwards "
                        "(videoalert export-dataset's layout, one part per worker) for make retrain")
    from bench.memory_scenes import PEOPLE

    parser.add_argument("--people", type=int, default=PEOPLE, help="paste only the first N people of the split (by "
                        f"name; default {PEOPLE}, as bench/memory_options.py does: the same clips in both)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ.update(environment(args.model_dir))
    from bench.memory_scenes import scenes

    started = time.perf_counter()
    real = args.data / "real" / "images"
    chosen = scenes(real, args.split, args.limit)
    print(f"{len(chosen)} scenes of the {args.split} split, {args.workers} worker(s)", flush=True)
    carried: list[dict[str, Any]] = []
    only = None
    if args.scenes_from:
        # bench/memory_options.py's collection of the same split and threshold: only the scenes whose first clip
        # alerted there (the others are decided before any tap), the first --taught of them: the same clips through
        # the handlers, to compare with the replay clip by clip.
        collected = json.loads(args.scenes_from.read_text())
        only = frozenset([r["scene"] for r in collected if "later" in r][: args.taught])
        print(f"{len(only)} scenes of {args.scenes_from} whose first clip alerted", flush=True)
    if args.taught_from:
        # A scene whose first clip did not alert is decided before any tap, whatever the memory does: its result is
        # carried over, and only the taught scenes run again (a change of the memory's settings, in minutes).
        before = json.loads(args.taught_from.read_text())
        if before["split"] != args.split or before["threshold_from"] != ("rule" if args.threshold else "model card") \
                or (args.threshold and before["threshold"] != args.threshold):
            parser.error(f"{args.taught_from} is of another split or threshold")
        carried = [r for r in before["scenes"] if "rounds" not in r]
        only = frozenset(r["scene"] for r in before["scenes"] if "rounds" in r)
        print(f"{len(carried)} scenes carried over from {args.taught_from} (first clip quiet), {len(only)} to run",
              flush=True)
    jobs = [(args.data, args.split, args.threshold, shard, args.workers, len(chosen), only, args.export, args.people)
            for shard in range(args.workers)]
    if args.workers == 1:
        shards = [run_shard(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            shards = pool.map(run_shard, jobs)
    results = sorted([*carried, *(r for shard in shards for r in shard["results"])], key=lambda r: r["camera"])
    scored, reused = sum(s["scored"] for s in shards), sum(s["reused"] for s in shards)
    from videoalert_inference.handler import get_runtime

    runtime = get_runtime()
    summary = summarise(results)
    print_curve(summary)
    suffix = "" if args.threshold is None else f"_{args.threshold:g}"
    out = args.out or REPO / "bench" / f"results_memory_learning{suffix}.json"
    write_json(out, {"split": args.split, "threshold": args.threshold or runtime.classifier.threshold,
                     "threshold_from": "rule" if args.threshold else "model card",
                     "model_version": runtime.classifier.version, "detector": runtime.detector.version,
                     "machine": machine(), "summary": summary, "scenes": results,
                     "clips_scored": scored, "clips_reused": reused,
                     "elapsed_s": round(time.perf_counter() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
