"""Region crops for the ResNet: ground-truth person boxes, the crop bank, and the new training kinds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videoalert_inference.detector import load_detector
from videoalert_inference.settings import REPO_MODEL_DIR
from videoalert_training.box_match import localizes
from videoalert_training.crops import (
    CropBank,
    cut,
    jitter,
    load_bank,
    random_person_box,
    touches,
    validation_crops,
)
from videoalert_training.person_boxes import camvid_boxes, coco_boxes, height_bucket, person_boxes


@pytest.fixture(scope="module")
def detector():
    return load_detector(REPO_MODEL_DIR, intra_op_threads=1)


def test_coco_label_file_gives_person_boxes_only(tmp_path: Path):
    # Given a YOLO label file with a person (class 0) and a car (class 2)
    labels = tmp_path / "img.txt"
    labels.write_text("0 0.5 0.5 0.2 0.4\n2 0.1 0.1 0.1 0.1\n")
    # When it is read
    boxes = coco_boxes(labels)
    # Then only the person is a box, as corner fractions
    assert boxes == [pytest.approx((0.4, 0.3, 0.6, 0.7))]


def test_camvid_label_map_gives_one_box_per_pedestrian_blob(tmp_path: Path):
    from PIL import Image

    # Given a label map with two pedestrian blobs (class 9), a cyclist (10), a tiny speck and a car (class 8)
    labels = np.zeros((100, 200), np.uint8)
    labels[10:50, 20:30] = 9
    labels[60:90, 150:170] = 10
    labels[5:7, 100:102] = 9  # 4 px: noise
    labels[70:95, 50:90] = 8
    path = tmp_path / "map.png"
    Image.fromarray(labels).save(path)
    # When boxes are taken
    boxes = sorted(camvid_boxes(path))
    # Then each person blob is one box and the speck and the car are not
    assert boxes == [pytest.approx((0.1, 0.1, 0.15, 0.5)), pytest.approx((0.75, 0.6, 0.85, 0.9))]


def test_height_buckets_follow_the_issue_classes():
    assert [height_bucket(h) for h in (0.05, 0.099, 0.1, 0.25, 0.26)] == [
        "under_10pct", "under_10pct", "10_25pct", "10_25pct", "over_25pct"]


def test_real_annotations_are_found(real_root: Path):
    # Given a CamVid street frame and a COCO photo the data README says hold people
    camvid = person_boxes(real_root, "person/camvid_street", "camvid_0001TP_006690.jpg")
    coco = person_boxes(real_root, "person/coco128", "coco128_000000000036.jpg")
    # Then both have person boxes inside the image, and an image without annotations has none
    assert camvid and coco
    assert all(0 <= v <= 1 for box in camvid + coco for v in box)
    assert person_boxes(real_root, "not_person/houses_frontal", "houses_0001_frontal.jpg") is None


def test_overlap_and_touch_rules():
    person = (0.4, 0.2, 0.5, 0.6)
    assert localizes((0.38, 0.18, 0.52, 0.62), person)  # a box around the person
    assert localizes((0.3, 0.1, 0.7, 0.7), person)  # a loose box covering the person
    assert not localizes((0.45, 0.5, 0.55, 0.7), person)  # only the feet
    assert touches(person, (0.45, 0.5, 0.55, 0.7)) and not touches(person, (0.6, 0.2, 0.7, 0.6))


def test_jitter_and_random_boxes_stay_in_the_frame():
    rng = np.random.default_rng(0)
    for _ in range(200):
        for box in (jitter((0.0, 0.0, 0.2, 0.9), rng), random_person_box(rng)):
            assert 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1


def test_cut_frames_the_box_as_the_product_does():
    # Given a 200x100 image and a thin person box
    image = np.zeros((100, 200, 3), np.uint8)
    crop = cut(image, (0.5, 0.2, 0.55, 0.8))
    # Then the crop is padded and at least 0.6 as wide as it is tall (regions.crop_box)
    height, width = crop.shape[:2]
    assert height > 60 and width >= 0.6 * height - 1


def test_crop_bank_of_a_few_real_images(real_root: Path, tmp_path: Path, detector):
    # Given a handful of validation images of each kind
    bank = load_bank(real_root, "validation", tmp_path, detector, limit=3)
    # Then it holds empty scenes, person images with boxes, and the detector's proposals were cached
    assert bank.scenes and bank.person_images and bank.person_boxes
    assert list(tmp_path.glob("proposals-*.json"))
    # And every region's validation crop is labelled: person boxes 1, proposals on empty scenes 0
    images, labels, groups = validation_crops(bank)
    assert len(images) == len(labels) == len(groups)
    assert {g for g, y in zip(groups, labels, strict=True) if y == 1} == {"person_box"}
    assert all(img.ndim == 3 and img.shape[0] >= 1 for img in images)
    # And a second load reads the proposals from the cache, with the same result
    again = load_bank(real_root, "validation", tmp_path, detector, limit=3)
    assert again.scene_proposals == bank.scene_proposals


def test_crop_kinds_make_labelled_samples(real_root: Path, tmp_path: Path, detector):
    from videoalert_inference.preprocess import PreprocessSpec
    from videoalert_training.real_data import list_real
    from videoalert_training.realmix import CROP_KINDS, RealMixDataset, RealPools, parse_mix

    # Given pools with a small crop bank
    pools = RealPools.load(list_real(real_root, "train")[::200], tmp_path / "masks")
    pools.crops = load_bank(real_root, "train", tmp_path, detector, limit=4)
    assert isinstance(pools.crops, CropBank)
    mix = parse_mix(",".join(f"{k}=1" for k in CROP_KINDS), dict.fromkeys(CROP_KINDS, 0.0) | {"person_crop": 0.0})
    dataset = RealMixDataset(pools, None, PreprocessSpec(input_size=64), 8, mix)
    dataset._rng = np.random.default_rng(3)
    # When each crop kind makes a sample
    made = {kind: dataset.make_sample(kind) for kind in CROP_KINDS}
    # Then people are positives and empty-scene regions negatives, each an RGB image
    assert {kind: label for kind, (_, label) in made.items()} == {
        "box_person": 1, "scene_person": 1, "scene_proposal": 0, "scene_box": 0, "scene_frame": 0}
    assert all(np.asarray(img).ndim == 3 and np.asarray(img).shape[2] == 3 for img, _ in made.values())
