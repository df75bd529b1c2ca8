"""ResNet18 with one person logit (BCE-with-logits), exposing the penultimate embedding for the FP memory."""
from __future__ import annotations

import logging

import lightning as L
import torch
import torchvision
from torch import nn
from torchmetrics.classification import BinaryAccuracy, BinaryF1Score

log = logging.getLogger(__name__)
EMBEDDING_DIM = 512


def build_resnet18(pretrained: bool = True) -> nn.Module:
    """torchvision ResNet18 with a single-logit head; ImageNet weights when they can be loaded."""
    model, _loaded = None, False
    if pretrained:
        try:
            model = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.DEFAULT)
            _loaded = True
            log.info("ImageNet weights loaded (ResNet18_Weights.DEFAULT): fine-tuning")
        except Exception as exc:  # noqa: BLE001 (offline machines: the weights download fails, with any error)
            log.warning("ImageNet weights unavailable (%s: %s): training from scratch", type(exc).__name__, exc)
    if model is None:
        if not pretrained:
            log.info("ImageNet weights not requested: training from scratch")
        model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Linear(EMBEDDING_DIM, 1)
    model.imagenet_weights_loaded = _loaded  # recorded in the run summary
    return model


class LogitAndEmbedding(nn.Module):
    """Forward returns (logit [N,1], embedding [N,512]): the exported ONNX interface."""

    def __init__(self, resnet: nn.Module):
        super().__init__()
        self.resnet = resnet

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.resnet
        x = r.maxpool(r.relu(r.bn1(r.conv1(x))))
        x = r.layer4(r.layer3(r.layer2(r.layer1(x))))
        embedding = torch.flatten(r.avgpool(x), 1)
        return r.fc(embedding), embedding


class PersonClassifierModule(L.LightningModule):
    """Binary person classifier; logs val_loss, val_acc, val_f1 at a 0.5 score."""

    def __init__(self, pretrained: bool = True, lr: float = 2e-3, weight_decay: float = 0.05,
                 label_smoothing: float = 0.05, pct_start: float = 0.2, input_size: int = 128,
                 distill_weight: float = 0.0, teacher_dim: int = 1280):
        super().__init__()
        self.save_hyperparameters()
        self.net = LogitAndEmbedding(build_resnet18(pretrained)).to(memory_format=torch.channels_last)
        self.val_acc, self.val_f1 = BinaryAccuracy(), BinaryF1Score()
        # Feature distillation: the embedding must predict the teacher's features through this head. The head
        # is training-only (the export takes `net`), so the released model's interface does not change.
        self.distill_head = nn.Linear(EMBEDDING_DIM, teacher_dim) if distill_weight > 0 else None
        self._teacher: nn.Module | None = None

    def set_teacher(self, teacher: nn.Module) -> None:
        """The frozen teacher, kept out of the module tree: not trained, not in checkpoints."""
        if self.distill_head is None:
            raise ValueError("distillation needs distill_weight > 0")
        object.__setattr__(self, "_teacher", teacher)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(x)

    def _loss(self, logits: torch.Tensor, y: torch.Tensor, smoothing: float) -> torch.Tensor:
        target = y * (1 - smoothing) + 0.5 * smoothing
        return nn.functional.binary_cross_entropy_with_logits(logits, target)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits, embedding = self(x.contiguous(memory_format=torch.channels_last))
        loss = self._loss(logits.squeeze(1), y, self.hparams.label_smoothing)
        if self._teacher is not None and self.distill_head is not None:
            target = self._teacher(x)
            distill = 1 - nn.functional.cosine_similarity(self.distill_head(embedding), target, dim=1).mean()
            self.log("train_distill", distill, on_step=True, on_epoch=True)
            loss = loss + self.hparams.distill_weight * distill
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x.contiguous(memory_format=torch.channels_last))[0].squeeze(1)
        self.log("val_loss", self._loss(logits, y, 0.0), prog_bar=True, on_epoch=True)
        probs = torch.sigmoid(logits)
        self.val_acc(probs, y.int())
        self.val_f1(probs, y.int())
        self.log("val_acc", self.val_acc, prog_bar=True, on_epoch=True)
        self.log("val_f1", self.val_f1, on_epoch=True)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.hparams.lr, total_steps=self.trainer.estimated_stepping_batches,
            pct_start=self.hparams.pct_start)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
