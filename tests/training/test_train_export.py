"""A short CPU training run proves the loop, the checkpoint and the export the container loads."""
import json
import shutil

import numpy as np
import onnx
import pytest

from videoalert_inference.model import load_classifier
from videoalert_inference.preprocess import PREPROCESS_VERSION, to_model_input
from videoalert_training.data import list_split, read_rgb
from videoalert_training.export import compare_with_torch, load_module
from videoalert_training.release import recard, release
from videoalert_training.train import main as train_main

CARD_KEYS = {"model_version", "classes", "positive_class", "preprocess", "threshold", "threshold_policy", "metrics",
             "training_data_sha256", "git_commit", "created_at", "files", "confusion_matrix", "training"}


@pytest.fixture(scope="module")
def tiny_release(tiny_dataset, tmp_path_factory):
    """Given a 2-batch training run at 64 px on real images, released without clips or int8."""
    base = tmp_path_factory.mktemp("tiny-run")
    run_dir = base / "run"
    train_main(["--data", str(tiny_dataset), "--work-dir", str(run_dir), "--input-size", "64", "--batch-size", "4",
                "--max-epochs", "1", "--samples-per-epoch", "8", "--num-workers", "0", "--no-pretrained",
                "--threads", "1"])
    out = base / "models"
    card = release(run_dir, tiny_dataset, None, out, target_recall=0.99, min_frames=2, int8=False)
    return run_dir, out, card


@pytest.mark.slow
def test_training_writes_a_best_checkpoint_and_tracks_the_run(tiny_release):
    run_dir, _, _ = tiny_release
    summary = json.loads((run_dir / "train_summary.json").read_text())
    # Then the best checkpoint exists and the run's metrics reached the MLflow store
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
    assert summary["best_val_loss"] is not None and summary["epochs_run"] >= 1
    metric_files = {p.name for p in (run_dir / "mlruns").rglob("metrics/*")}
    assert {"val_loss", "val_acc", "val_f1"} <= metric_files


@pytest.mark.slow
def test_export_has_the_container_interface_and_a_complete_card(tiny_release):
    _, out, card = tiny_release
    # Then the ONNX model has the contracted names with a dynamic batch
    model = onnx.load(str(out / "person_classifier.onnx"))
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["logit", "embedding"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # symbolic N
    # And the card has every contracted key and matches this preprocessing
    assert set(card) >= CARD_KEYS
    assert card["classes"] == ["not_person", "person"] and card["files"]["fp32"] == "person_classifier.onnx"
    assert card["preprocess"]["version"] == PREPROCESS_VERSION and card["preprocess"]["input_size"] == 64
    assert (out / "reports" / "roc.png").stat().st_size > 0 and (out / "reports" / "threshold_table.txt").is_file()
    assert "precision" in (out / "reports" / "validation_report.txt").read_text()


@pytest.mark.slow
def test_onnx_and_pytorch_agree_on_real_images(tiny_release, tiny_dataset):
    run_dir, out, _ = tiny_release
    summary = json.loads((run_dir / "train_summary.json").read_text())
    module = load_module(summary["best_checkpoint"])
    # Given real validation images through the one preprocessing definition
    classifier = load_classifier(out)
    images = [read_rgb(i.path) for i in list_split(tiny_dataset, "validation")]
    batch = to_model_input(images, classifier.spec)
    # When both runtimes score them
    diff = compare_with_torch(module.net, out / "person_classifier.onnx", batch)
    # Then logits and embeddings agree to float precision, and the container loader gives 512-d embeddings
    assert diff["max_abs_diff_logit"] < 1e-3 and diff["max_abs_diff_embedding"] < 1e-3
    prediction = classifier.predict_images(images)
    assert prediction.embeddings.shape == (len(images), 512)
    assert np.all((prediction.scores >= 0) & (prediction.scores <= 1))


@pytest.mark.slow
def test_container_refuses_a_card_with_other_preprocessing(tiny_release, tmp_path):
    _, out, card = tiny_release
    # Given the released files with a card naming another preprocessing procedure
    shutil.copy(out / "person_classifier.onnx", tmp_path / "person_classifier.onnx")
    card = dict(card, preprocess=dict(card["preprocess"], version="letterbox-bgr-v0"))
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    # When the container loads it, Then it refuses with a message naming the mismatch
    with pytest.raises(ValueError, match="does not match"):
        load_classifier(tmp_path)


@pytest.mark.slow
def test_recard_keeps_the_weights_and_measures_them_again_under_this_preprocessing(tiny_release, tiny_dataset,
                                                                                   tmp_path):
    # Given a release whose card names an older preprocessing definition (the container refuses it)
    _, out, _ = tiny_release
    models = tmp_path / "models"
    shutil.copytree(out, models)
    card = json.loads((models / "model_card.json").read_text())
    card["preprocess"]["version"] = "squash-area-rgb-imagenet-v1"
    card["threshold"] = 0.123
    (models / "model_card.json").write_text(json.dumps(card))
    weights = (models / "person_classifier.onnx").read_bytes()
    with pytest.raises(ValueError, match="does not match this code"):
        load_classifier(models)
    # When it is re-carded
    new = recard(models, tiny_dataset, None, target_recall=0.99, min_frames=2)
    # Then the weights and their version are untouched, the card names this code's preprocessing and keeps
    # the one the weights were trained with, and the threshold is the recall rule's on the new scores
    assert (models / "person_classifier.onnx").read_bytes() == weights
    assert new["model_version"] == card["model_version"]
    assert new["preprocess"]["version"] == PREPROCESS_VERSION
    assert new["preprocess_history"] == [{"version": "squash-area-rgb-imagenet-v1", "used_for": "training"}]
    assert new["threshold"] != 0.123 and new["thresholds"]["fp32"]["threshold"] == new["threshold"]
    assert new["threshold_policy"]["achieved_recall"] >= 0.99
    assert load_classifier(models).threshold == new["threshold"]


@pytest.mark.slow
def test_recard_refuses_onnx_files_the_card_does_not_describe(tiny_release, tiny_dataset, tmp_path):
    # Given a release whose ONNX file was replaced after the card was written
    _, out, _ = tiny_release
    models = tmp_path / "models"
    shutil.copytree(out, models)
    (models / "person_classifier.onnx").write_bytes((models / "person_classifier.onnx").read_bytes() + b"\0")
    # When it is re-carded, Then it refuses: only a release may describe new weights
    with pytest.raises(SystemExit, match="not the file the card describes"):
        recard(models, tiny_dataset, None, target_recall=0.99, min_frames=2)


@pytest.mark.slow
def test_fine_tuning_starts_from_a_released_onnx_file_exactly(tiny_release, tiny_dataset, tmp_path):
    _, out, card = tiny_release
    # Given a released fp32 file (BatchNorm folded into the convolutions) and real images
    import torch

    from videoalert_training.model import PersonClassifierModule
    from videoalert_training.onnx_init import load_onnx_weights

    images = [read_rgb(i.path) for i in list_split(tiny_dataset, "train")]
    samples = torch.from_numpy(to_model_input(images, load_classifier(out).spec))
    module = PersonClassifierModule(pretrained=False, input_size=64)
    # When its weights are loaded back into the PyTorch module, BN statistics measured on the images
    load_onnx_weights(module.net.resnet, out / "person_classifier.onnx", samples)
    batch = to_model_input([read_rgb(i.path) for i in list_split(tiny_dataset, "validation")],
                           load_classifier(out).spec)
    diff = compare_with_torch(module.net, out / "person_classifier.onnx", batch)
    # Then in eval mode the module computes what the file computes
    assert diff["max_abs_diff_logit"] < 1e-3 and diff["max_abs_diff_embedding"] < 1e-3
    # And BatchNorm holds real statistics again (not the identity), so it can train as usual
    bn = module.net.resnet.bn1
    assert float(bn.running_var.std()) > 0 and not torch.allclose(bn.weight, torch.ones_like(bn.weight))
    # And a short run from it records the parent model and adds the earlier training time
    run_dir = tmp_path / "stage"
    train_main(["--data", str(tiny_dataset), "--work-dir", str(run_dir), "--input-size", "64", "--batch-size", "4",
                "--max-epochs", "1", "--samples-per-epoch", "8", "--num-workers", "0", "--threads", "1",
                "--init-onnx", str(out / "person_classifier.onnx"), "--edge-negatives", "0.2"])
    summary = json.loads((run_dir / "train_summary.json").read_text())
    assert summary["parent_model_version"] == card["model_version"]
    assert len(summary["stages"]) == 2 and summary["stages"][-1]["init_onnx"].endswith("person_classifier.onnx")
    assert summary["training_seconds"] >= card["training"]["seconds"]


def test_a_quantized_file_is_no_starting_point(released_model_dir, tmp_path):
    import torch

    from videoalert_training.model import build_resnet18
    from videoalert_training.onnx_init import load_onnx_weights

    with pytest.raises(ValueError, match="quantized"):
        load_onnx_weights(build_resnet18(pretrained=False), released_model_dir / "person_classifier.int8.onnx",
                          torch.zeros(1, 3, 64, 64))


def _copy_release(released_model_dir, target):
    target.mkdir()
    for name in ("model_card.json", "person_classifier.onnx", "person_classifier.int8.onnx"):
        shutil.copy(released_model_dir / name, target / name)
    return target


def test_the_amx_encoding_moves_each_conv_zero_point_and_nothing_else(released_model_dir, tiny_dataset, tmp_path):
    from onnx import numpy_helper

    from videoalert_training.release import main as release_main
    # Given a copy of the release without its encodings
    models = _copy_release(released_model_dir, tmp_path / "models")
    before = json.loads((models / "model_card.json").read_text())
    # When its encodings are added
    release_main(["--add-encodings", "--data", str(tiny_dataset), "--out", str(models)])
    # Then the AMX file holds every conv weight one higher over a zero point of one (the same real weights)
    card = json.loads((models / "model_card.json").read_text())
    entry = card["encodings"]["int8"]["amx"]
    arrays = [{i.name: numpy_helper.to_array(i) for i in onnx.load(str(models / f)).graph.initializer}
              for f in ("person_classifier.int8.onnx", entry["file"])]
    plain, amx = arrays
    convs = [n for n, a in plain.items() if a.dtype == np.int8 and a.ndim == 4]
    assert len(convs) == 20
    for name in convs:
        zero = name.replace("_quantized", "_zero_point")
        assert not plain[zero].any() and (amx[zero] == 1).all()
        assert np.array_equal(amx[name].astype(np.int16) - 1, plain[name])
    others = [n for n in plain if n not in convs and n not in {c.replace("_quantized", "_zero_point") for c in convs}]
    assert others and all(np.array_equal(plain[n], amx[n]) for n in others)
    # And its outputs on real images are exactly the int8 file's, and the rest of the card is as it was
    batch = to_model_input([read_rgb(i.path) for i in list_split(tiny_dataset, "validation")],
                           load_classifier(models).spec)
    from videoalert_training.export import onnx_outputs
    assert all(np.array_equal(a, b) for a, b in zip(onnx_outputs(models / "person_classifier.int8.onnx", batch),
                                                    onnx_outputs(models / entry["file"], batch), strict=True))
    assert {k: v for k, v in card.items() if k != "encodings"} == {k: v for k, v in before.items() if k != "encodings"}


def test_encodings_are_refused_for_an_int8_file_the_card_does_not_describe(released_model_dir, tiny_dataset, tmp_path):
    from videoalert_training.release import add_encodings
    models = _copy_release(released_model_dir, tmp_path / "models")
    (models / "person_classifier.int8.onnx").write_bytes((models / "person_classifier.int8.onnx").read_bytes() + b"\0")
    with pytest.raises(SystemExit, match="not the file the card describes"):
        add_encodings(models, tiny_dataset)
    assert not (models / "person_classifier.int8.amx.onnx").exists()
