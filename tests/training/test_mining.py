"""Hard-example mining: a stage draws the images a model gets wrong more often, and still draws every image."""
import numpy as np
import pytest

from videoalert_inference.preprocess import PreprocessSpec
from videoalert_training.cutouts import load_cutouts
from videoalert_training.data import list_split
from videoalert_training.datamodule import CameraSynthDataset
from videoalert_training.mining import draw_weights, mine
from videoalert_training.real_data import list_real
from videoalert_training.realmix import RealMixDataset, RealPools


def test_the_draws_follow_the_error_and_keep_a_uniform_floor():
    # Given a negative scored as a person, a negative scored right, and a positive scored low
    weights = draw_weights([0.9, 0.1, 0.2], [0, 0, 1], uniform=0.5)
    # Then the probabilities are a distribution ordered by how wrong the model is
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > weights[2] > weights[1]
    # And every image keeps at least its uniform share
    assert weights.min() >= 0.5 / 3
    # And a model right on everything leaves the draws uniform
    assert draw_weights([0.0, 1.0], [0, 1]) == pytest.approx([0.5, 0.5])
    for scores, labels, uniform in (([0.5], [0, 1], 0.5), ([], [], 0.5), ([0.5], [0], 1.5)):
        with pytest.raises(ValueError):
            draw_weights(scores, labels, uniform)


def test_a_mined_dataset_draws_the_horse_the_model_calls_a_person_most(tiny_real, tiny_dataset, tmp_path):
    # Given the real pools and the CGI renders, and a model that calls exactly one horse photo a person
    spec = PreprocessSpec(input_size=64)
    cgi = CameraSynthDataset(load_cutouts(list_split(tiny_dataset, "train"), tmp_path / "cgi"), spec, 8)
    pools = RealPools.load(list_real(tiny_real, "train"), tmp_path / "masks")
    dataset = RealMixDataset(pools, cgi, spec, length=8)
    assert len(pools.horse_photos) >= 3
    tricky = pools.horse_photos[1]

    def scorer(images):
        return np.array([0.95 if image is tricky else 0.05 for image in images])

    # When the dataset is mined with it
    report = mine(dataset, scorer)
    # Then that photo is drawn far more often than a uniform draw would, and the others are still drawn
    dataset._rng = np.random.default_rng(0)
    draws = [dataset._pick(pools.horse_photos, "horse_photos") for _ in range(2000)]
    share = sum(d is tricky for d in draws) / len(draws)
    assert share > 2 / len(pools.horse_photos) and share > 0.3
    assert len({id(d) for d in draws}) == len(pools.horse_photos)
    # And every pool, the CGI renders included, got weights, reported with how concentrated they are
    assert set(report) == {"horse_photos", "tiny_negatives", "person_crops", "cgi"}
    assert dataset.cgi.weights is not None and dataset.cgi.weights.sum() == pytest.approx(1.0)
    assert dataset.make_sample("horse_photo")[1] == 0
