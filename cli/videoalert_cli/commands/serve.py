"""`videoalert serve`: the released person classifier behind POST /predict and GET /health."""
from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("serve", help="serve the person classifier over HTTP (POST /predict, GET /health)")
    parser.add_argument("--model-dir", default="models", help="folder with person_classifier.onnx + model_card.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--max-upload-mb", type=float, default=10.0, help="larger uploads get 413")
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    import uvicorn

    from ..errors import UserError
    from ..serving import create_app

    model_dir = Path(args.model_dir)
    if not (model_dir / "model_card.json").is_file():
        raise UserError(f"no model_card.json in {model_dir}: pass --model-dir pointing at the released model")
    try:
        app = create_app(model_dir, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024))
    except ValueError as exc:  # the card's preprocessing does not match this code, or outputs are missing
        raise UserError(str(exc)) from exc
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
