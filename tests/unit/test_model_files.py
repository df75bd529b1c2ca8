"""Which model file a release serves, and which threshold goes with each file."""
from __future__ import annotations

from videoalert_inference.model import served_file, threshold_for

CARD = {
    "threshold": 0.77,
    "files": {"fp32": "person_classifier.onnx", "int8": "person_classifier.int8.onnx"},
    "thresholds": {"fp32": {"threshold": 0.77}, "int8": {"threshold": 0.78}},
}


def test_fp32_is_served_unless_the_card_names_another():
    # Given a release with fp32 and int8 files, Then fp32 is served (int8 accuracy depends on the CPU)
    assert served_file(CARD) == "person_classifier.onnx"
    # And a card that names int8 as served gets int8
    assert served_file({**CARD, "served": "int8"}) == "person_classifier.int8.onnx"
    # And an old card without files falls back to the fp32 name
    assert served_file({"threshold": 0.5}) == "person_classifier.onnx"


def test_each_file_uses_the_threshold_chosen_on_its_own_scores():
    # Given per-file thresholds in the card, Then each file gets its own
    assert threshold_for(CARD, "person_classifier.onnx") == 0.77
    assert threshold_for(CARD, "person_classifier.int8.onnx") == 0.78
    # And a card with one threshold only (an older release) gives that one to every file
    assert threshold_for({"threshold": 0.6, "files": CARD["files"]}, "person_classifier.int8.onnx") == 0.6


def test_a_release_that_kept_int8_serves_it_and_names_it_in_the_version(tmp_path):
    # Given the released model in models/ (its card serves int8)
    import json
    import shutil

    from fixtures.media import REPO_MODELS
    from videoalert_inference.model import CARD_FILE, MODEL_FILE, load_classifier
    card = json.loads((REPO_MODELS / CARD_FILE).read_text())
    # When it is loaded without naming a file, and with the fp32 file named
    served, fp32 = load_classifier(REPO_MODELS), load_classifier(REPO_MODELS, MODEL_FILE)
    # Then the served file's threshold and version say which file scores, and fp32 keeps the plain version
    assert served.threshold == card["thresholds"][card["served"]]["threshold"] == card["threshold"]
    assert fp32.threshold == card["thresholds"]["fp32"]["threshold"]
    assert fp32.version == card["model_version"]
    assert served.version == card["model_version"] + ("-int8" if card["served"] == "int8" else "")
