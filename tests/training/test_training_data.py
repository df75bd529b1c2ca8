"""The general folder loader and the camera-like samples made from training renders."""
import cv2
import numpy as np
import pytest

from videoalert_inference.preprocess import PreprocessSpec
from videoalert_training.cutouts import load_cutouts, subject_mask
from videoalert_training.data import folder_sha256, list_split, read_rgb
from videoalert_training.datamodule import DEFAULT_MIX, CameraSynthDataset, with_edge_negatives
from videoalert_training.scenes import paste_at_edge


def test_any_class_folder_other_than_humans_is_negative(tiny_dataset):
    # Given a re-labelled folder of false alerts added beside horses and humans
    extra = tiny_dataset / "train" / "false_alerts"
    extra.mkdir(exist_ok=True)
    (extra / "frame.jpg").write_bytes(next((tiny_dataset / "train" / "horses").iterdir()).read_bytes())
    try:
        # When the training split is listed
        items = list_split(tiny_dataset, "train")
        # Then humans are label 1 and every other folder label 0
        assert {i.folder: i.label for i in items} == {"false_alerts": 0, "horses": 0, "humans": 1}
    finally:
        (extra / "frame.jpg").unlink()
        extra.rmdir()


def test_a_split_without_a_positive_folder_is_refused(tmp_path):
    (tmp_path / "train" / "horses").mkdir(parents=True)
    (tmp_path / "train" / "horses" / "a.jpg").write_bytes(b"x")
    with pytest.raises(ValueError, match="positive folder"):
        list_split(tmp_path, "train")


def test_training_data_hash_changes_with_content(tiny_dataset, tmp_path):
    # Given the hash of a folder
    before = folder_sha256(tiny_dataset / "train")
    assert before == folder_sha256(tiny_dataset / "train")  # stable
    # When one byte of one image changes (in a copy)
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset / "train", copy)
    victim = sorted(copy.rglob("*.jpg"))[0]
    victim.write_bytes(victim.read_bytes() + b"\0")
    # Then the hash differs
    assert folder_sha256(copy) != before


def test_synthetic_samples_are_model_inputs_with_the_right_labels(tiny_dataset, tmp_path):
    # Given cut-outs of real training renders
    cutouts = load_cutouts(list_split(tiny_dataset, "train"), tmp_path / "masks")
    assert all(0 < c.alpha.mean() < 1 for c in cutouts), "every mask keeps a subject and drops some background"
    dataset = CameraSynthDataset(cutouts, PreprocessSpec(input_size=64), length=8)
    # When empty scenes and composites are drawn
    empty, empty_label = dataset.make_sample("empty")
    _, x_label = dataset[0]
    x, _ = dataset[1]
    # Then an empty scene is a negative 4:3 frame and items are normalised CHW tensors
    assert empty_label == 0 and empty.shape[:2] == (240, 320)
    assert tuple(x.shape) == (3, 64, 64) and float(x_label) in (0.0, 1.0)
    assert -3 < float(x.mean()) < 3 and np.isfinite(x.numpy()).all()


def test_edge_negatives_are_horses_cut_by_the_frame_border(tiny_dataset, tmp_path):
    # Given cut-outs of real training renders and a mix with edge hard negatives
    cutouts = load_cutouts(list_split(tiny_dataset, "train"), tmp_path / "masks")
    mix = with_edge_negatives(None, 0.15)
    assert abs(sum(mix.values()) - 1) < 1e-9 and mix["edge"] == 0.15
    dataset = CameraSynthDataset(cutouts, PreprocessSpec(input_size=64), length=8, mix=mix)
    background = np.zeros((240, 320, 3), np.float32)
    horse = next(c for c in cutouts if c.label == 0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        # When a horse is pasted at the edge onto a black frame
        frame = paste_at_edge(background, horse, rng, (0.3, 0.9))
        columns = np.nonzero(frame.max(axis=(0, 2)) > 0)[0]
        # Then it touches the left or the right border and covers well under the frame's width
        assert len(columns) and (columns[0] == 0 or columns[-1] == 319)
        assert len(columns) < 0.45 * 320
    # And every edge sample is labelled not-person
    assert all(dataset.make_sample("edge")[1] == 0 for _ in range(5))


def test_the_edge_share_must_leave_room_for_the_other_kinds():
    with pytest.raises(ValueError):
        with_edge_negatives(None, 1.0)
    assert with_edge_negatives(None, 0.0) == DEFAULT_MIX


def test_a_mask_depends_on_the_image_alone(tiny_dataset):
    # Given one training render
    rgb = read_rgb(list_split(tiny_dataset, "train")[0].path)
    first = subject_mask(rgb)
    # When something else in the process draws from OpenCV's global random generator (GrabCut's k-means uses it)
    cv2.randu(np.zeros((64, 64), np.float32), 0, 1)
    # Then the same image gives the same mask (cached masks and test outcomes do not depend on test order)
    assert np.array_equal(subject_mask(rgb), first)
