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


ENCODED = {**CARD, "encodings": {"int8": {"amx": {"file": "person_classifier.int8.amx.onnx"}}}}


def _release_dir(tmp_path, *names):
    for name in names:
        (tmp_path / name).write_bytes(b"onnx")
    return tmp_path


def test_the_amx_encoding_is_served_only_on_a_cpu_that_can_use_amx(tmp_path, monkeypatch):
    from videoalert_inference import model
    from videoalert_inference.model import session_file
    root = _release_dir(tmp_path, "person_classifier.int8.onnx", "person_classifier.int8.amx.onnx")
    int8 = root / "person_classifier.int8.onnx"
    # Given a card listing an AMX encoding of its int8 file, on a CPU with AMX
    monkeypatch.setattr(model, "cpu_has_amx", lambda: True)
    # Then auto serves the encoding, and plain forces the file as named
    assert session_file(int8, ENCODED) == (root / "person_classifier.int8.amx.onnx", "amx")
    assert session_file(int8, ENCODED, "plain") == (int8, "plain")
    # And the fp32 file has no encoding, so it is served as named
    assert session_file(root / "person_classifier.onnx", ENCODED) == (root / "person_classifier.onnx", "plain")
    # And on a CPU without AMX auto serves the int8 file itself (AMX-encoded it would be slower there)
    monkeypatch.setattr(model, "cpu_has_amx", lambda: False)
    assert session_file(int8, ENCODED) == (int8, "plain")
    # And forcing amx still gives the encoding (same outputs, only slower)
    assert session_file(int8, ENCODED, "amx") == (root / "person_classifier.int8.amx.onnx", "amx")


def test_a_missing_or_unlisted_encoding_falls_back_or_is_refused(tmp_path, monkeypatch):
    import pytest

    from videoalert_inference import model
    from videoalert_inference.model import file_kind, session_file
    monkeypatch.setattr(model, "cpu_has_amx", lambda: True)
    root = _release_dir(tmp_path, "person_classifier.int8.onnx")
    int8 = root / "person_classifier.int8.onnx"
    # Given the card lists an AMX encoding whose file is not there, Then auto serves the int8 file itself
    assert session_file(int8, ENCODED) == (int8, "plain")
    # And a card without encodings refuses a forced amx, and an unknown encoding is refused
    with pytest.raises(ValueError, match="no amx encoding"):
        session_file(int8, CARD, "amx")
    with pytest.raises(ValueError, match="encoding must be"):
        session_file(int8, ENCODED, "fast")
    # And the encoding's file named directly is of the int8 kind (its threshold and version) and served as named
    amx = root / "person_classifier.int8.amx.onnx"
    assert file_kind(ENCODED, amx.name) == "int8" and threshold_for(ENCODED, amx.name) == 0.78
    assert session_file(amx, ENCODED) == (amx, "plain")


def test_amx_is_reported_only_with_both_cpu_flags_and_the_kernels_permission(tmp_path, monkeypatch):
    from videoalert_inference import model
    without = tmp_path / "without"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n")
    with_amx = tmp_path / "with"
    with_amx.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8\n")
    monkeypatch.setattr(model.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(model, "_amx_permitted", lambda: True)
    assert not model.cpu_has_amx(without) and model.cpu_has_amx(with_amx)
    assert not model.cpu_has_amx(tmp_path / "no-such-file")
    # And a kernel that refuses the tile state (too old, or a sandbox) means no AMX, whatever the flags
    monkeypatch.setattr(model, "_amx_permitted", lambda: False)
    assert not model.cpu_has_amx(with_amx)
    # And an ARM CPU (Graviton) never
    monkeypatch.setattr(model, "_amx_permitted", lambda: True)
    monkeypatch.setattr(model.platform, "machine", lambda: "aarch64")
    assert not model.cpu_has_amx(with_amx)
