"""`videoalert serve`: the released person classifier behind POST /predict and GET /health."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import integer, number


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", parents=parents,
                            help="serve the person classifier over HTTP (POST /predict, GET /health)",
                            description=__doc__ + "\n\nNeeds fastapi, uvicorn and python-multipart "
                            "(training/requirements.txt: `make setup` installs them, `make run` does not).")
    parser.add_argument("--model-dir", default="models", metavar="DIR",
                        help="folder with the ONNX model and model_card.json (default models)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=integer(low=1, high=65535), default=8080, help="port (default 8080)")
    parser.add_argument("--max-upload-mb", type=number(above=0), default=10.0, metavar="MB",
                        help="larger uploads get 413 (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import socket
    from pathlib import Path

    from ..errors import UserError

    try:
        import uvicorn

        from ..serving import create_app
    except ImportError as exc:
        raise UserError(f"videoalert serve needs fastapi, uvicorn and python-multipart ({exc.name} is missing): "
                        "`make setup` installs them (training/requirements.txt); `make run` installs only the "
                        "runtime set") from exc
    model_dir = Path(args.model_dir)
    if not (model_dir / "model_card.json").is_file():
        raise UserError(f"no model_card.json in {model_dir}: pass --model-dir pointing at the released model")
    try:
        app = create_app(model_dir, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024))
    except ValueError as exc:  # the card's preprocessing does not match this code, or outputs are missing
        raise UserError(str(exc)) from exc
    with socket.socket() as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror} (--port)") from exc
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
