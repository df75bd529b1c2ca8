"""Shared pieces of the benchmarks: cache folder, machine description, timing helpers, the models under test."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

from videoalert_training.hardware import cpu_model

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
RELEASED_MODELS = REPO / "models"
SHARED_CLIPS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", REPO.parent / "shared" / "data")) / "clips"
DEFAULT_INPUT_SIZE = 128  # the release run's size; used only until a model is released (the card decides then)


def cache_dir(*parts: str) -> Path:
    path = CACHE.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def machine() -> dict:
    """What the figures were measured on, and how busy the machine was."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def median(values: list[float]) -> float:
    return statistics.median(values)


class Stopwatch:
    """Wall time and this process's CPU time (all threads): CPU time is far less sensitive to a busy machine."""

    def __enter__(self):
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = time.process_time() - self.cpu_started


def released_input_size() -> int | None:
    card = RELEASED_MODELS / "model_card.json"
    if card.exists():
        return int(json.loads(card.read_text())["preprocess"]["input_size"])
    return None


def fast_model_dir() -> tuple[Path, str]:
    """The released ONNX model if there is one, else a random-weight ResNet18 with the same interface."""
    if (RELEASED_MODELS / "person_classifier.onnx").exists() and (RELEASED_MODELS / "model_card.json").exists():
        return RELEASED_MODELS, "released model"
    size = DEFAULT_INPUT_SIZE
    target = CACHE / f"random_resnet18_{size}"
    if not (target / "person_classifier.onnx").exists():
        subprocess.run([os.sys.executable, "-m", "bench.models", "export", str(target), str(size)], check=True,
                       cwd=REPO)
    return target, f"random-weight ResNet18 at {size} px (no released model yet; same compute)"


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def shipped_classifier(model_dir):
    """The model and settings the inference handler ships with (its defaults, no environment overrides)."""
    from videoalert_inference.model import load_classifier
    from videoalert_inference.settings import InferenceSettings

    settings = InferenceSettings(model_dir=Path(model_dir))
    return load_classifier(model_dir, settings.model_file, intra_op_threads=settings.ort_threads,
                           encoding=settings.model_encoding), settings


def shipped_detector(model_dir=None):
    """The person detector the handler loads beside the classifier (regions "detect", the default); a model directory
    without one (a benchmark's sized or random-weight classifier) borrows the released one from models/."""
    from videoalert_inference.detector import DETECTOR_CARD_FILE, load_detector
    from videoalert_inference.settings import InferenceSettings

    model_dir = Path(model_dir) if model_dir and (Path(model_dir) / DETECTOR_CARD_FILE).exists() else REPO / "models"
    return load_detector(model_dir, intra_op_threads=InferenceSettings(model_dir=model_dir).ort_threads)

