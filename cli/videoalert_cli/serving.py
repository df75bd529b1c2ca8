"""Single-image serving: a FastAPI app with POST /predict (multipart image) and GET /health."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import cv2
import numpy as np
from fastapi import FastAPI, File, HTTPException, UploadFile

if TYPE_CHECKING:
    from videoalert_inference.model import PersonClassifier

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before the full decode allocates it


def decode_upload(data: bytes, max_bytes: int) -> np.ndarray:
    """Bytes of a JPEG/PNG/... -> RGB uint8, or an HTTPException with a clear message."""
    if not data:
        raise HTTPException(status_code=400, detail="empty upload: send an image file in the 'file' field")
    if len(data) > max_bytes:
        raise HTTPException(status_code=413, detail=f"image too large: {len(data)} bytes, limit {max_bytes}")
    buffer = np.frombuffer(data, np.uint8)
    header_only = cv2.imdecode(buffer, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if header_only is None:
        raise HTTPException(status_code=415, detail="not an image: could not decode the upload (JPEG, PNG, BMP, WebP)")
    if header_only.shape[0] * header_only.shape[1] * 64 > MAX_PIXELS:
        raise HTTPException(status_code=413, detail="image too large: more than 50 megapixels")
    bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if bgr is None:
        raise HTTPException(status_code=415, detail="not an image: could not decode the upload")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def create_app(
    model_dir: str | Path = "models", max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    classifier: PersonClassifier | None = None,
) -> FastAPI:
    """Load the released model once (refusing a card that does not match the preprocessing) and serve it."""
    if classifier is None:
        from videoalert_inference.model import load_classifier

        classifier = load_classifier(model_dir)
    positive, negative = "person", "not_person"
    app = FastAPI(title="videoalert person classifier", version=classifier.version)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "model_version": classifier.version,
            "threshold": classifier.threshold,
            "input_size": classifier.spec.input_size,
        }

    @app.post("/predict")
    async def predict(file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        # Read one byte past the limit: enough to know it is too large without buffering a huge body.
        data = await file.read(max_upload_bytes + 1)
        image = decode_upload(data, max_upload_bytes)
        score = float(classifier.predict_images([image]).scores[0])
        return {
            "class": positive if score >= classifier.threshold else negative,
            "person_score": score,
            "threshold": classifier.threshold,
            "model_version": classifier.version,
            "image": {"width": int(image.shape[1]), "height": int(image.shape[0])},
        }

    return app
