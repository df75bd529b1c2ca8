"""Cold start in a fresh process: imports, model load, first clip; the inference handler against a torch-based one."""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from .common import REPO, machine, median


def child_onnx(model_dir: str, clip_url: str) -> dict:
    """What a new Lambda container does before its first answer: the handler's own code, end to end.

    Its module's imports (Powertools, PyAV, NumPy, the URL reader), then `get_runtime()` as Lambda's init
    phase runs it (ONNX Runtime, settings, the classifier and the detector, the HTTPS context), then the handler
    itself on a request whose presigned-style URL a loopback server answers (the network's own time is left out).
    """
    os.environ["MODEL_DIR"] = model_dir
    # The loopback server stands in for S3 as the local emulator does: the function fetches a URL only from an
    # S3 endpoint it knows (url_source.UrlPolicy), so it is named here like the emulator's.
    os.environ["CLIP_URL_ENDPOINTS"] = "{0.scheme}://{0.netloc}".format(urlsplit(clip_url))
    t0 = time.perf_counter()
    from videoalert_inference import handler
    t1 = time.perf_counter()
    handler.get_runtime()
    t2 = time.perf_counter()
    response = handler.handler({"video_id": "bench-cold-start", "bucket": "unused", "key": "clip.mp4",
                                "urls": [clip_url]}, None)
    t3 = time.perf_counter()
    # One entry per person proposal (regions "detect", the default), at least one per sampled second.
    assert response["ok"] and len({f["t"] for f in response["frames"]}) == 60, response.get("error")
    return {"imports": t1 - t0, "runtime": t2 - t1, "first_clip": t3 - t2}


def child_torch(model_dir: str, clip_url: str) -> dict:
    """The same handler built on PyTorch: torch + torchvision imports, ResNet18 built and weights loaded."""
    t0 = time.perf_counter()
    import numpy as np
    import torch
    import torchvision  # noqa: F401 - imported for its cost, which is what is measured

    from videoalert_inference import handler  # noqa: F401 - imported for its cost, which is what is measured
    from videoalert_inference.frames import FrameSampler
    from videoalert_inference.preprocess import PreprocessSpec, to_model_input
    from videoalert_inference.url_source import fetch_clip_parts_by_url, https_context
    t1 = time.perf_counter()
    context = https_context()  # as the ONNX handler's get_runtime does
    from bench.models import torch_resnet18
    torch.set_num_threads(1)  # like the ONNX handler's one thread (and no OpenMP spinning on a shared machine)
    model = torch_resnet18()
    model.load_state_dict(model.state_dict())  # a real handler loads its weights from a file: same work
    spec = PreprocessSpec(
        input_size=json.loads(Path(model_dir, "model_card.json").read_text())["preprocess"]["input_size"]
    )
    t2 = time.perf_counter()
    sampler = FrameSampler(1.0, 120, resize_to=spec.input_size, decoder_threads=1)
    images = [f.image for f in sampler.sample(fetch_clip_parts_by_url([clip_url], 1 << 30, context)[0])]
    with torch.inference_mode():
        for start in range(0, len(images), 16):
            torch.sigmoid(model(torch.from_numpy(to_model_input(images[start : start + 16], spec)))[0])
    np.asarray(0)
    t3 = time.perf_counter()
    return {"imports": t1 - t0, "runtime": t2 - t1, "first_clip": t3 - t2}


def measure(kind: str, model_dir, clip_url: str, runs: int) -> list[dict]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bench.cold_start", "--child", kind, str(model_dir), clip_url],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env=_child_env(),
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["process_wall"] = time.perf_counter() - started  # includes the interpreter's own start
        out.append(result)
    return out


def _child_env() -> dict:
    """No AWS account is touched, but botocore (were it ever imported) wants a region."""
    return {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}


@contextlib.contextmanager
def serve_clip(clip) -> Iterator[str]:
    """The clip on a loopback HTTP server for the children, as a presigned URL would give it: its URL."""
    data = Path(clip).read_bytes()

    class Clip(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)  # the whole object, Range aside: the handler reads its size from Content-Length
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Clip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/unused/clip.mp4?X-Amz-Signature=bench"  # path-style
    finally:
        server.shutdown()


def run(model_dir, clip, runs: int = 3) -> dict:
    samples = {"onnx handler": [], "torch handler": []}
    with serve_clip(clip) as url:
        for _ in range(runs):  # interleaved
            samples["onnx handler"] += measure("onnx", model_dir, url, 1)
            samples["torch handler"] += measure("torch", model_dir, url, 1)
    summary = {}
    for kind, rows in samples.items():
        med = {k: round(median([r[k] for r in rows]), 3) for k in rows[0]}
        med["init"] = round(median([r["imports"] + r["runtime"] for r in rows]), 3)
        # The cold start: imports, model load, first clip (the network's time aside).
        med["cold start"] = round(median([r["imports"] + r["runtime"] + r["first_clip"] for r in rows]), 3)
        summary[kind] = med
    return {"machine": machine(), "runs": runs, "clip": str(clip), "median_s": summary}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, model_dir, clip = sys.argv[2:5]
        print(json.dumps((child_onnx if kind == "onnx" else child_torch)(model_dir, clip)))
    else:
        from .clips import CLIP_640
        from .common import fast_model_dir

        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
        result = run(fast_model_dir()[0], CLIP_640, runs)
        print(json.dumps(result, indent=2))
        if "--update-results" in sys.argv:
            from .report import update_section

            update_section("cold_start", result)
