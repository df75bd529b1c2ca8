"""The released person classifier: ONNX Runtime session plus its model card, loaded once per process."""
from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .preprocess import PreprocessSpec, to_model_input
from .region_score import RegionScore

MODEL_FILE = "person_classifier.onnx"
CARD_FILE = "model_card.json"
INPUT_NAME = "input"
LOGIT_OUTPUT = "logit"
EMBEDDING_OUTPUT = "embedding"
ENCODING_AUTO = "auto"  # the card's encoding for this CPU, if it lists one (see session_file)
ENCODING_PLAIN = "plain"  # the file as named
ENCODING_AMX = "amx"
CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class Prediction:
    """Person scores (sigmoid of the logit) and penultimate embeddings for a batch."""

    scores: np.ndarray  # shape (N,)
    embeddings: np.ndarray  # shape (N, D)


class PersonClassifier:
    """Wraps an ONNX Runtime session; thread count is set once at load."""

    def __init__(self, model_path: Path, card: dict[str, Any], intra_op_threads: int | None = None,
                 encoding: str = ENCODING_AUTO):
        import onnxruntime as ort

        self.card = card
        self.model_path = Path(model_path)
        self.spec = PreprocessSpec.from_card(card["preprocess"])
        file_name = Path(model_path).name
        session_path, self.encoding = session_file(Path(model_path), card, encoding)
        self.threshold = threshold_for(card, file_name)
        self.region_score = RegionScore.from_card(card)  # detect mode's combination with the detector (or None)
        kind = file_kind(card, file_name)
        # Records name the file that scored them: the int8 file is the same weights, quantized.
        self.version = str(card["model_version"]) + (f"-{kind}" if kind not in (None, "fp32") else "")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads or 0  # 0: one thread per physical core
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(session_path), options, providers=["CPUExecutionProvider"])
        outputs = {o.name for o in self.session.get_outputs()}
        if {LOGIT_OUTPUT, EMBEDDING_OUTPUT} - outputs:
            raise ValueError(f"model {model_path} lacks outputs {LOGIT_OUTPUT!r}/{EMBEDDING_OUTPUT!r}: has {outputs}")

    def predict_batch(self, batch: np.ndarray) -> Prediction:
        logits, embeddings = self.session.run([LOGIT_OUTPUT, EMBEDDING_OUTPUT], {INPUT_NAME: batch})
        logits = logits.reshape(-1).astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-logits))
        return Prediction(scores=scores, embeddings=embeddings.reshape(len(scores), -1))

    def predict_images(self, images_rgb: list[np.ndarray]) -> Prediction:
        return self.predict_batch(to_model_input(images_rgb, self.spec))


def file_kind(card: dict[str, Any], file_name: str) -> str | None:
    """Which of the card's files this is ("fp32", "int8"), or None for a file the card does not list.

    A file listed as an encoding of another (same outputs) is of that file's kind.
    """
    kind = next((k for k, name in (card.get("files") or {}).items() if name == file_name), None)
    if kind is None:
        kind = next((k for k, choices in (card.get("encodings") or {}).items()
                     if any(e.get("file") == file_name for e in choices.values())), None)
    return kind


def cpu_has_amx(cpuinfo: Path = CPUINFO) -> bool:
    """Whether ONNX Runtime can use AMX int8 tiles here: the CPU has them and the kernel grants their state."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return {"amx_tile", "amx_int8"} <= set(flags) and _amx_permitted()


def _amx_permitted() -> bool:
    """Request the AMX tile state from Linux, as ONNX Runtime's MLAS does before it uses AMX (same answer)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        # SYS_arch_prctl (x86_64), ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA
        return bool(libc.syscall(ctypes.c_long(158), ctypes.c_long(0x1023), ctypes.c_long(18)) == 0)
    except (OSError, AttributeError):
        return False


def session_file(model_path: Path, card: dict[str, Any], encoding: str = ENCODING_AUTO) -> tuple[Path, str]:
    """The file to build the session from, and its encoding: the named file ("plain"), or an encoding of it.

    An encoding is the same model in another file with bit-identical outputs (the release checks it), chosen
    for a kernel: the int8 file's "amx" encoding runs its convolutions on AMX tiles, x1.42 on inference where
    the CPU has them and x0.81 where it has not (bench/README.md). "auto" takes it on CPUs with AMX when
    the file is there; "plain" or "amx" force the choice.
    """
    if encoding not in (ENCODING_AUTO, ENCODING_PLAIN, ENCODING_AMX):
        raise ValueError(f"encoding must be {ENCODING_AUTO}, {ENCODING_PLAIN} or {ENCODING_AMX}, got {encoding!r}")
    kind = file_kind(card, model_path.name)
    # A file named as an encoding itself (MODEL_FILE=...amx.onnx) is served as named.
    released = kind is not None and (card.get("files") or {}).get(kind) == model_path.name
    amx = ((card.get("encodings") or {}).get(kind) or {}).get(ENCODING_AMX) if released else None
    if encoding == ENCODING_AUTO:
        encoding = (
            ENCODING_AMX if amx and (model_path.parent / amx["file"]).is_file() and cpu_has_amx() else ENCODING_PLAIN
        )
    if encoding == ENCODING_PLAIN:
        return model_path, ENCODING_PLAIN
    if not amx:
        raise ValueError(f"the model card lists no {encoding} encoding of {model_path.name}")
    return model_path.parent / amx["file"], ENCODING_AMX


def threshold_for(card: dict[str, Any], file_name: str) -> float:
    """The threshold chosen for this file's own validation scores (int8 and fp32 differ a little), else the card's."""
    chosen = (card.get("thresholds") or {}).get(file_kind(card, file_name))
    return float(chosen["threshold"] if chosen else card["threshold"])


def served_file(card: dict[str, Any]) -> str:
    """The file a release serves by default: the one its card names (`served`), else fp32.

    A release serves int8 when it kept one: within 0.5 point of fp32 on validation, each at the threshold
    chosen on its own scores, quantized so that every x86 CPU computes the same integers.
    """
    files = card.get("files") or {}
    return files.get(card.get("served") or "fp32") or MODEL_FILE


def load_classifier(model_dir: str | os.PathLike[str], model_file: str | None = None,
                    **kwargs: Any) -> PersonClassifier:
    """Load a model (default: the release's served file) and its card; refuses a card whose preprocessing differs."""
    model_dir = Path(model_dir)
    card = json.loads((model_dir / CARD_FILE).read_text())
    return PersonClassifier(model_dir / (model_file or served_file(card)), card, **kwargs)
