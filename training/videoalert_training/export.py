"""Export the trained module to ONNX (fp32, optional static int8) and check it against PyTorch."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from videoalert_inference.model import EMBEDDING_OUTPUT, INPUT_NAME, LOGIT_OUTPUT

from .model import LogitAndEmbedding, PersonClassifierModule

log = logging.getLogger(__name__)
OPSET = 17


def load_module(checkpoint: str | Path) -> PersonClassifierModule:
    # pretrained=False: the weights come from the checkpoint, no need to try a download.
    module = PersonClassifierModule.load_from_checkpoint(str(checkpoint), map_location="cpu", pretrained=False)
    module.eval()
    module.net.to(memory_format=torch.contiguous_format)
    return module


def export_onnx(net: LogitAndEmbedding, path: str | Path, input_size: int) -> Path:
    """fp32 ONNX with a dynamic batch: input `input` [N,3,S,S] -> `logit` [N,1], `embedding` [N,512]."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    net = net.eval().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(2, 3, input_size, input_size)
    torch.onnx.export(net, (dummy,), str(path), input_names=[INPUT_NAME], output_names=[LOGIT_OUTPUT, EMBEDDING_OUTPUT],
                      dynamic_axes={INPUT_NAME: {0: "N"}, LOGIT_OUTPUT: {0: "N"}, EMBEDDING_OUTPUT: {0: "N"}},
                      opset_version=OPSET, dynamo=False)
    import onnx

    onnx.checker.check_model(onnx.load(str(path)))
    return path


def onnx_outputs(path: str | Path, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits, embeddings = session.run([LOGIT_OUTPUT, EMBEDDING_OUTPUT], {INPUT_NAME: batch})
    return logits, embeddings


def torch_outputs(net: torch.nn.Module, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        logits, embeddings = net.eval()(torch.from_numpy(batch))
    return logits.numpy(), embeddings.numpy()


def compare_with_torch(net: torch.nn.Module, onnx_path: str | Path, batch: np.ndarray) -> dict:
    """Max absolute differences between PyTorch and ONNX Runtime on the same preprocessed batch."""
    t_logit, t_emb = torch_outputs(net, batch)
    o_logit, o_emb = onnx_outputs(onnx_path, batch)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return {"n_images": int(len(batch)),
            "max_abs_diff_logit": float(np.max(np.abs(t_logit - o_logit))),
            "max_abs_diff_score": float(np.max(np.abs(sig(t_logit) - sig(o_logit)))),
            "max_abs_diff_embedding": float(np.max(np.abs(t_emb - o_emb)))}


def quantize_int8(fp32_path: str | Path, int8_path: str | Path, calibration: np.ndarray, batch_size: int = 16) -> Path:
    """Static int8 (QDQ, per-channel weights) calibrated on preprocessed training-style images.

    reduce_range (7-bit weights): on x86 CPUs without VNNI, ONNX Runtime's u8 x s8 kernels add pairs of
    products in 16 bits and saturate; with weights in [-64, 63] a pair stays below 32,767, so every CPU computes
    the same integers. Without it the released file missed one more validation person on an AVX2-only AMD
    EPYC than on an Intel CPU with VNNI.
    """
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([calibration[i:i + batch_size] for i in range(0, len(calibration), batch_size)])

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    int8_path = Path(int8_path)
    prepared = int8_path.with_suffix(".prep.onnx")
    quant_pre_process(str(fp32_path), str(prepared))
    try:
        quantize_static(str(prepared), str(int8_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True)
    finally:
        prepared.unlink(missing_ok=True)
    return int8_path


def amx_encoding(int8_path: str | Path, out_path: str | Path, check_batch: np.ndarray) -> Path:
    """The same int8 model with each convolution's weight zero point moved from 0 to 1 (and the weights by +1).

    Dequantized, every weight is unchanged, and ONNX Runtime computes the same integers, so the outputs are
    bit-identical (checked here on `check_batch`; refused otherwise). Only the kernel differs: symmetric
    weights take MLAS's direct int8 convolution (AVX-512 VNNI at best), weights with a zero point take
    im2col + int8 GEMM, which uses AMX tiles on CPUs that have them: x1.42 on inference there, x0.81 on
    CPUs without AMX (bench/README.md). The container picks the file by CPU (model.session_file).
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(int8_path))
    initializers = {i.name: i for i in model.graph.initializer}
    shifted = 0
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear" or len(node.input) < 3:
            continue
        weights, zero_point = initializers.get(node.input[0]), initializers.get(node.input[2])
        if weights is None or zero_point is None:
            continue
        w, z = numpy_helper.to_array(weights), numpy_helper.to_array(zero_point)
        # Conv weights only ([O, C, kH, kW]); a weight of 127 has no room above it.
        if w.dtype != np.int8 or w.ndim != 4 or z.any() or w.max() >= 127:
            continue
        weights.CopyFrom(numpy_helper.from_array((w.astype(np.int16) + 1).astype(np.int8), weights.name))
        zero_point.CopyFrom(numpy_helper.from_array(np.ones_like(z), zero_point.name))
        shifted += 1
    if not shifted:
        raise ValueError(f"{int8_path} has no symmetric int8 convolution weights to re-encode")
    out_path = Path(out_path)
    onnx.save(model, str(out_path))
    plain, moved = onnx_outputs(int8_path, check_batch), onnx_outputs(out_path, check_batch)
    if not all(np.array_equal(a, b) for a, b in zip(plain, moved, strict=True)):
        out_path.unlink()
        raise ValueError(f"the AMX encoding of {int8_path} does not reproduce its outputs exactly: not written")
    log.info("AMX encoding of %s: %d convolutions, identical outputs on %d images", int8_path, shifted,
             len(check_batch))
    return out_path
