"""Clips read through presigned GET URLs: S3's answers on moto's server, faults from a loopback stub, the S3
fallback."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from test_inference_handler import LambdaContext, put, request

from fixtures.media import cfr_times, encode_clip
from tests.fixtures.onnx_models import write_tiny_model
from videoalert_contract.inference import InferenceRequest
from videoalert_inference import handler as inference_handler
from videoalert_inference.errors import BadInputError
from videoalert_inference.handler import handler
from videoalert_inference.url_source import UrlUnavailable, fetch_clip_parts_by_url, https_context

REPO = Path(__file__).resolve().parents[2]


SERVED = "served"  # not the in-process mock's "clips": the two share moto's state, which mock_aws resets


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto's server on loopback, as in the local run."""
    sys.path.insert(0, str(REPO / "cli"))
    from videoalert_local.emulator import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_server(moto_endpoint):
    """A SigV4 client of the server with the bucket SERVED: presign(client, key) gives a GET URL."""
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )
    if SERVED not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=SERVED)
    return client


def presign(client, key: str) -> str:
    return client.generate_presigned_url("get_object", Params={"Bucket": SERVED, "Key": key}, ExpiresIn=900)


class Stub(http.server.BaseHTTPRequestHandler):
    """GET /<status>: that status (with an S3-like XML error); GET /cut: announces 1000 bytes, sends 10."""

    gets: list[str] = []

    def do_GET(self):
        Stub.gets.append(self.path)
        if self.path.startswith("/cut"):
            self.send_response(206)
            self.send_header("Content-Range", "bytes 0-999/1000")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            return
        if self.path.startswith("/norange"):
            self.send_response(206)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"abc")
            return
        query = self.path.partition("?")[2]
        asked = [q.split("=", 1)[1] for q in query.split("&") if q.startswith("status=")]
        status = int(asked[0] if asked else self.path.strip("/").split("?")[0])
        body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if 300 <= status < 400:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    "bodies",
    [
        [b"first part", b"second"],  # a clip in two parts
        [b"", b"first part"],  # an empty part next to a full one is read as empty
    ],
)
def test_presigned_urls_give_the_parts_in_order(s3_server, bodies):
    # Given a clip's parts in S3
    keys = [f"part{i}.mp4" for i in range(len(bodies))]
    for key, body in zip(keys, bodies, strict=True):
        s3_server.put_object(Bucket=SERVED, Key=key, Body=body)
    # When they are read through their presigned URLs
    parts = fetch_clip_parts_by_url([presign(s3_server, k) for k in keys], 1000, https_context())
    # Then each part's bytes come back, in order
    assert parts == bodies


@pytest.mark.parametrize(
    "keys, limit, code",
    [
        (["big.mp4"], 99, "TOO_LARGE"),  # one byte over the limit
        (["big.mp4", "big.mp4"], 150, "TOO_LARGE"),  # the parts together over it
        (["gone.mp4"], 1000, "NOT_FOUND"),
        (["empty.mp4"], 1000, "EMPTY_VIDEO"),
    ],
)
def test_what_s3_answers_for_sure_is_the_answer(s3_server, keys, limit, code):
    # Given a 100-byte object and an empty one
    s3_server.put_object(Bucket=SERVED, Key="big.mp4", Body=b"v" * 100)
    s3_server.put_object(Bucket=SERVED, Key="empty.mp4", Body=b"")
    # When a clip is read through URLs with that limit
    # Then the answer is the same bad-input code the S3 path gives
    with pytest.raises(BadInputError) as err:
        fetch_clip_parts_by_url([presign(s3_server, k) for k in keys], limit, https_context())
    assert err.value.code == code
    assert "Signature" not in err.value.message  # the signature is a credential: never in a message


@pytest.mark.parametrize("path", ["/403?X-Amz-Signature=secret", "/500", "/503", "/307", "/cut", "/norange"])
def test_urls_that_give_no_answer_raise_url_unavailable(stub, path):
    # Given a URL that is expired (403), failing (5xx), redirecting, cut short or without a total size
    # When the clip is read through it
    # Then UrlUnavailable says so (the handler then reads bucket/key), with no signature in the message
    with pytest.raises(UrlUnavailable) as err:
        fetch_clip_parts_by_url([stub + path], 10_000, https_context())
    assert "secret" not in str(err.value)


def test_a_redirect_is_not_followed(stub):
    Stub.gets.clear()
    with pytest.raises(UrlUnavailable):
        fetch_clip_parts_by_url([stub + "/302"], 10_000, https_context())
    assert Stub.gets == ["/302"]


def test_a_closed_port_raises_url_unavailable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UrlUnavailable):
        fetch_clip_parts_by_url([f"http://127.0.0.1:{port}/clip.mp4"], 1000, https_context())


@pytest.mark.parametrize("urls", [["file:///etc/passwd"], "https://x/clip.mp4", [1], ["https://x/a", "https://x/b"]])
def test_urls_that_are_not_one_http_url_per_part_are_a_bad_request(urls):
    with pytest.raises(BadInputError) as err:
        InferenceRequest.from_payload(request(urls=urls))
    assert err.value.code == "BAD_REQUEST"


@pytest.fixture
def s3_endpoint(moto_endpoint, monkeypatch):
    """The function reads clip URLs of the emulator's S3 endpoint (as in the local run), and of no other host."""
    monkeypatch.setenv("CLIP_URL_ENDPOINTS", moto_endpoint)
    inference_handler.reset_runtime()
    return moto_endpoint


def test_the_handler_scores_a_clip_through_its_url_without_an_s3_client(inference_env, s3_server, s3_endpoint):
    # Given a clip behind a presigned URL (and not in the in-process S3 the function's client would read)
    s3_server.put_object(Bucket=SERVED, Key="videos/cam1/url-only.mp4", Body=encode_clip(cfr_times(12, 10)))
    # When the function is invoked with the URL
    response = handler(
        request(bucket=SERVED, key="videos/cam1/url-only.mp4", urls=[presign(s3_server, "videos/cam1/url-only.mp4")]),
        LambdaContext(),
    )
    # Then it is scored, and the container built no S3 client
    assert response["ok"] is True, response
    assert [f["t"] for f in response["frames"]] == [float(s) for s in range(12)]
    assert "s3" not in vars(inference_handler.get_runtime())


def test_an_expired_url_falls_back_to_bucket_and_key(inference_env, stub, capsys, monkeypatch):
    # Given a clip in the request's bucket, and a URL of it that answers 403 (expired) from an endpoint the function
    # reads S3 from
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 10)))
    monkeypatch.setenv("CLIP_URL_ENDPOINTS", stub)
    inference_handler.reset_runtime()
    warnings = []
    monkeypatch.setattr(inference_handler.logger, "warning", lambda msg, **kw: warnings.append((msg, kw)))
    # When the function is invoked with it
    response = handler(request(urls=[stub + "/clips/videos/cam1/clip.mp4?status=403"]), LambdaContext())
    # Then the clip is read from S3 and scored, and the fallback is logged with its reason and counted
    assert response["ok"] is True, response
    assert len(response["frames"]) == 12
    assert [(msg, "HTTP 403" in kw["extra"]["reason"]) for msg, kw in warnings] == [
        ("clip URLs unusable, reading the clip from S3", True)
    ]
    assert '"UrlFallbacks":[1.0]' in capsys.readouterr().out


def test_a_url_to_a_missing_clip_is_not_found_without_a_fallback(inference_env, s3_server, s3_endpoint):
    # Given a URL to an object that does not exist (while the in-process S3 the fallback reads holds it)
    put(inference_env, "videos/cam1/never-stored.mp4", encode_clip(cfr_times(12, 10)))
    # When the function is invoked
    response = handler(request(bucket=SERVED, key="videos/cam1/never-stored.mp4",
                               urls=[presign(s3_server, "videos/cam1/never-stored.mp4")]), LambdaContext())
    # Then S3's own answer stands: NOT_FOUND, no second read
    assert response["ok"] is False
    assert response["error"]["code"] == "NOT_FOUND"
    assert "s3" not in vars(inference_handler.get_runtime())


_URL_REQUEST_IN_A_NEW_PROCESS = """
import json, sys
from videoalert_inference.handler import handler
event = json.loads(sys.argv[1])
response = handler(event, None)
heavy = ("boto3", "botocore.session", "botocore.client")  # Powertools imports botocore's package, nothing more
print(json.dumps({"ok": response["ok"], "modules": sorted(m for m in heavy if m in sys.modules)}))
"""


def test_a_container_serving_urls_never_imports_boto3(tmp_path, s3_server, moto_endpoint):
    # Given a fresh Lambda-like process (model loaded in the init phase) and a clip behind a presigned URL
    write_tiny_model(tmp_path)
    s3_server.put_object(Bucket=SERVED, Key="fresh.mp4", Body=encode_clip(cfr_times(2, 10)))
    event = request(bucket=SERVED, key="fresh.mp4", urls=[presign(s3_server, "fresh.mp4")])
    env = {
        "CLIP_URL_ENDPOINTS": moto_endpoint,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MODEL_DIR": str(tmp_path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "videoalert-inference",
        "PYTHONPATH": str(REPO / "inference_container"),
    }
    # When it answers the request
    out = subprocess.run(
        [sys.executable, "-c", _URL_REQUEST_IN_A_NEW_PROCESS, json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
    )
    # Then it scored the clip, and neither boto3 nor botocore's client was ever imported (0.3 s kept out of init)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"ok": True, "modules": []}


def test_a_url_to_another_host_is_never_fetched_and_the_clip_is_read_from_s3(inference_env, stub):
    # Given a clip in the request's bucket/key, and a request whose URL names another host (a forged request, or
    # an internal service the function can reach)
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 10)))
    Stub.gets.clear()
    # When the function is invoked with it
    response = handler(request(urls=[stub + "/clips/videos/cam1/clip.mp4?status=200"]), LambdaContext())
    # Then the host was never contacted, and the clip was read from its bucket and key instead
    assert Stub.gets == []
    assert response["ok"] is True and len(response["frames"]) == 12


def test_a_url_of_the_s3_endpoint_for_another_key_is_not_fetched(inference_env, s3_server, s3_endpoint):
    # Given the request's clip in S3, and a URL of the right endpoint that names another object
    put(inference_env, "videos/cam1/clip.mp4", encode_clip(cfr_times(12, 10)))
    s3_server.put_object(Bucket=SERVED, Key="videos/cam1/other.mp4", Body=encode_clip(cfr_times(5, 10)))
    response = handler(request(urls=[presign(s3_server, "videos/cam1/other.mp4")]), LambdaContext())
    # Then the other object was not read: the request's own clip (3 s) was scored
    assert response["ok"] is True and len(response["frames"]) == 12


@pytest.mark.parametrize(("url", "ok"), [
    ("https://vb.s3.amazonaws.com/videos/cam1/a%20b.mp4?X-Amz-Signature=s", True),
    ("https://vb.s3.eu-west-1.amazonaws.com/videos/cam1/a%20b.mp4?X-Amz-Signature=s", True),
    ("https://s3.eu-west-1.amazonaws.com/vb/videos/cam1/a%20b.mp4?X-Amz-Signature=s", True),
    ("http://127.0.0.1:5000/vb/videos/cam1/a%20b.mp4?X-Amz-Signature=s", True),
    ("http://vb.s3.amazonaws.com/videos/cam1/a%20b.mp4", False),  # AWS over plain HTTP
    ("https://other.s3.amazonaws.com/videos/cam1/a%20b.mp4", False),  # another bucket
    ("https://vb.s3.amazonaws.com/videos/cam1/c.mp4", False),  # another key
    ("https://vb.s3.amazonaws.com.evil.example/videos/cam1/a%20b.mp4", False),
    ("https://vb.s3.amazonaws.com@evil.example/videos/cam1/a%20b.mp4", False),
    ("http://169.254.169.254/latest/meta-data/", False),
    ("http://127.0.0.1:5001/vb/videos/cam1/a%20b.mp4", False),  # another port than the emulator's
    ("https://vb.s3.us-east-2.amazonaws.com/videos/cam1/a%20b.mp4", False),  # another region
])
def test_only_the_s3_url_of_the_requested_object_is_accepted(url, ok):
    from videoalert_inference.url_source import UrlPolicy

    policy = UrlPolicy(region="eu-west-1", endpoints=("http://127.0.0.1:5000",))
    assert policy.accepts(url, "vb", "videos/cam1/a b.mp4") is ok
