#!/usr/bin/env bash
# Without a Docker engine: install requirements.txt into a clean virtualenv and run the handler there on a
# real clip (S3 on moto). boto3 stands in for the Lambda base image's copy; moto only fakes S3.
# Usage: inference_container/check_clean_venv.sh [clip.mp4] [model_dir]   (run from the repo root)
set -euo pipefail
CLIP=${1:-/work/shared/data/clips/human_01.mp4}
MODEL_DIR=${2:-models}
VENV=${VENV:-/tmp/ctr-venv}
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --no-cache-dir -r inference_container/requirements.txt
echo "site-packages: $(du -sh "$VENV"/lib/python3*/site-packages | cut -f1) (incl. the venv's pip/setuptools)"
"$VENV/bin/pip" install -q --no-cache-dir boto3==1.44.5 moto==5.2.5
MODEL_DIR="$MODEL_DIR" PYTHONPATH=inference_container:lambdas AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
AWS_DEFAULT_REGION=us-east-1 "$VENV/bin/python" - "$CLIP" <<'PY'
import json, sys, time
from moto import mock_aws
import boto3
with mock_aws():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="videos")
    s3.upload_file(sys.argv[1], "videos", "videos/cam1/clip.mp4")
    started = time.perf_counter()
    from videoalert_inference.handler import handler
    ok = handler({"video_id": "cam1-check", "bucket": "videos", "key": "videos/cam1/clip.mp4"}, None)
    seconds = time.perf_counter() - started
    missing = handler({"video_id": "cam1-check", "bucket": "videos", "key": "videos/cam1/none.mp4"}, None)
try:
    import torch  # noqa: F401
    sys.exit("torch is importable: the container must not need it")
except ImportError:
    pass
assert ok["ok"] and len(ok["frames"]) > 0, ok
assert missing["error"]["code"] == "NOT_FOUND", missing
print(f"OK: {len(ok['frames'])} frames, max score {max(f['score'] for f in ok['frames']):.3f}, "
      f"model {ok['model_version']}, first call incl. imports {seconds:.2f} s, timings_ms {json.dumps(ok['timings_ms'])}")
PY
# The dispatcher's requests carry presigned URLs: a fresh process reads the clip through one (a loopback server
# here) and scores it without ever importing boto3.
MODEL_DIR="$MODEL_DIR" PYTHONPATH=inference_container:lambdas "$VENV/bin/python" - "$CLIP" <<'PY'
import http.server, sys, threading, time
data = open(sys.argv[1], "rb").read()
class Clip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Clip)
threading.Thread(target=server.serve_forever, daemon=True).start()
started = time.perf_counter()
from videoalert_inference.handler import handler
ok = handler({"video_id": "cam1-url", "bucket": "unused", "key": "clip.mp4",
              "urls": [f"http://127.0.0.1:{server.server_address[1]}/clip.mp4"]}, None)
seconds = time.perf_counter() - started
assert ok["ok"] and len(ok["frames"]) > 0, ok
assert "boto3" not in sys.modules, "a URL request imported boto3"
print(f"OK (URL): {len(ok['frames'])} frames, no boto3 imported, first call incl. imports {seconds:.2f} s")
PY
