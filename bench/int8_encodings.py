"""The int8 file against its AMX encoding (same integers, other kernels): inference time per frame and equality.

    python -m bench.int8_encodings                    # this CPU as it is
    gcc -shared -fPIC -O2 -o /tmp/no_amx.so bench/no_amx.c -ldl
    LD_PRELOAD=/tmp/no_amx.so python -m bench.int8_encodings   # the same CPU with AMX refused, as on one without
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from .clips import CLIP_640
from .common import RELEASED_MODELS, Stopwatch, machine, median


def amx_in_use() -> bool:
    """Whether ONNX Runtime's int8 GEMM runs on AMX tiles here: a 1024^3 u8 x s8 product above the AVX-512 peak."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    n = 1024
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.integers(-64, 64, (n, n)).astype(np.int8), "B")
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "gemm",
                              [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n])],
                              [helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])], [weights])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
                                   .SerializeToString(), options, providers=["CPUExecutionProvider"])
    a = {"A": rng.integers(0, 255, (n, n)).astype(np.uint8)}
    session.run(None, a)
    with Stopwatch() as sw:
        for _ in range(5):
            session.run(None, a)
    gmacs = 5 * n ** 3 / sw.seconds / 1e9
    # One AVX-512 VNNI core does at most 128 multiply-adds per cycle: about 500 G/s even at 4 GHz.
    return gmacs > 500


def run(rounds: int = 11, batch_size: int = 8) -> dict:
    from videoalert_inference.frames import FrameSampler
    from videoalert_inference.model import cpu_has_amx, load_classifier
    from videoalert_inference.preprocess import to_model_input

    plain = load_classifier(RELEASED_MODELS, intra_op_threads=1, encoding="plain")
    amx = load_classifier(RELEASED_MODELS, intra_op_threads=1, encoding="amx")
    size = plain.spec.input_size
    images = [f.image for f in FrameSampler(1.0, 120, resize_to=size).sample(CLIP_640.read_bytes())]
    batch = to_model_input(images, plain.spec)
    outputs = {name: c.session.run(None, {"input": batch}) for name, c in (("plain", plain), ("amx", amx))}
    identical = all(np.array_equal(a, b) for a, b in zip(outputs["plain"], outputs["amx"], strict=True))
    times: dict[str, list[float]] = {"plain": [], "amx": []}
    chunks = [batch[i:i + batch_size] for i in range(0, len(batch), batch_size)]
    for _ in range(rounds):  # interleaved
        for name, c in (("plain", plain), ("amx", amx)):
            with Stopwatch() as sw:
                for chunk in chunks:
                    c.predict_batch(chunk)
            times[name].append(sw.seconds / len(batch) * 1000)
    result = {"machine": machine(), "cpu_has_amx_flags": cpu_has_amx(), "amx_in_use": amx_in_use(),
              "auto_chooses": load_classifier(RELEASED_MODELS, intra_op_threads=1).encoding,
              "frames": len(batch), "batch_size": batch_size, "rounds": rounds,
              "identical_logits_and_embeddings": identical,
              "median_ms_per_frame": {k: round(median(v), 3) for k, v in times.items()}}
    result["amx_encoding_speedup"] = round(
        result["median_ms_per_frame"]["plain"] / result["median_ms_per_frame"]["amx"], 2
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11)
    print(json.dumps(run(parser.parse_args().rounds), indent=2))


if __name__ == "__main__":
    main()
