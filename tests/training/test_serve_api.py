"""`videoalert serve`: the released model answers real validation images; bad uploads get a clear 4xx."""
import pytest
from fastapi.testclient import TestClient

from videoalert_cli.serving import create_app


@pytest.fixture(scope="module")
def client(released_model_dir):
    # Given the released model committed under models/ (a fresh clone serves without training)
    return TestClient(create_app(released_model_dir))


def test_health_names_the_model(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["model_version"].startswith("resnet18-person-")
    assert 0 < body["threshold"] < 1


@pytest.mark.parametrize("folder,expected", [("humans", "person"), ("horses", "not_person")])
def test_predict_answers_real_validation_images(client, validation_images, folder, expected):
    # Given five fixed, evenly spaced validation images of one class
    for path in validation_images(folder, 5):
        # When each is uploaded
        response = client.post("/predict", files={"file": (path.name, path.read_bytes(), "image/jpeg")})
        # Then the answer is the right class, with the score and threshold that decided it
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["class"] == expected, f"{path.name}: {body}"
        assert (body["person_score"] >= body["threshold"]) == (expected == "person")


def test_not_an_image_is_415(client):
    response = client.post("/predict", files={"file": ("notes.txt", b"this is not an image", "text/plain")})
    assert response.status_code == 415 and "not an image" in response.json()["detail"]


def test_empty_upload_is_400(client):
    response = client.post("/predict", files={"file": ("empty.jpg", b"", "image/jpeg")})
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_too_large_upload_is_413(released_model_dir, validation_images):
    # Given a server with a 2 kB upload limit and a real ~20 kB JPEG
    small_limit = TestClient(create_app(released_model_dir, max_upload_bytes=2048))
    path = validation_images("humans", 1)[0]
    response = small_limit.post("/predict", files={"file": (path.name, path.read_bytes(), "image/jpeg")})
    assert response.status_code == 413 and "too large" in response.json()["detail"]


def test_missing_file_field_is_422(client):
    assert client.post("/predict", data={"other": "x"}).status_code == 422
