"""`videoalert push CAMERA SOURCE`: send a video file or camera URL into the camera's Kinesis video stream."""
from __future__ import annotations

import argparse
import itertools
import sys
from datetime import UTC, datetime

import boto3
from botocore.exceptions import NoRegionError
from tqdm import tqdm

from videoalert_contract.names import stream_name

from ..errors import UserError
from ..kvs import ebml
from ..kvs.fragments import pack_fragments
from ..kvs.putmedia import Pacer, PutMediaSession, put_media_endpoint, stream_fragments
from ..kvs.source import SourceError, VideoSource, is_live, redact


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "push",
        help="send a video file or camera URL into a camera's Kinesis video stream (PutMedia)",
        description=__doc__,
    )
    parser.add_argument("camera", help="camera id; the stream is videoalert-<camera>")
    parser.add_argument("source", help="video file (anything FFmpeg reads) or rtsp://, http(s):// camera URL")
    parser.add_argument("--realtime", action="store_true", help="send a file at its own frame rate, like a camera")
    parser.add_argument(
        "--start",
        type=_parse_start,
        help="producer time of the first frame, ISO 8601 (default: now); decides which minutes the video lands in",
    )
    parser.add_argument("--fragment-seconds", type=float, default=2.0, help="fragment (cluster) length; default 2")
    parser.add_argument(
        "--reencode",
        choices=["auto", "always", "never"],
        default="auto",
        help="re-encode to H.264: auto = only when the source is not H.264 or its keyframes are over 10 s apart",
    )
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.add_argument("--endpoint-url", help="Kinesis Video Streams control-plane endpoint (tests, local emulators)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the network and acknowledgements"
    )
    parser.add_argument(
        "--session-minutes",
        type=float,
        default=40.0,
        help="start a new PutMedia connection after this long (AWS advises refreshing about every 45 min)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _parse_start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _clients(args):
    session = boto3.Session(region_name=args.region)
    credentials = session.get_credentials()
    if credentials is None:
        raise UserError(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) before pushing"
        )
    try:
        kvs = session.client("kinesisvideo", endpoint_url=args.endpoint_url)
    except NoRegionError as exc:
        raise UserError("no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION") from exc
    return kvs, credentials, kvs.meta.region_name


def _progress_bar(disabled: bool):
    """A bar of fragments persisted out of fragments sent; ERROR acks are printed above it."""
    bar = tqdm(unit="fragment", desc="persisted", disable=disabled, file=sys.stderr)
    arriving: set[int] = set()  # KVS may send more than one BUFFERING ack per fragment

    def on_ack(ack) -> None:
        if ack.event_type == "BUFFERING" and ack.fragment_timecode not in arriving:
            arriving.add(ack.fragment_timecode)
            bar.total = len(arriving)
            bar.refresh()
        elif ack.event_type == "PERSISTED":
            bar.update(1)
        elif ack.event_type == "ERROR":
            bar.write(ack.describe_error(), file=sys.stderr)

    return bar, on_ack


def run(args) -> int:
    if args.fragment_seconds <= 0 or args.fragment_seconds > 10:
        raise UserError("--fragment-seconds must be in (0, 10]: Kinesis Video Streams fragments are at most 10 s")
    name = stream_name(args.camera)
    kvs, credentials, region = _clients(args)
    # The source is opened before any network call, so a bad file fails fast and costs no request.
    with VideoSource(
        args.source, reencode=args.reencode, fragment_seconds=args.fragment_seconds, timeout_s=args.timeout
    ) as source:
        endpoints = [put_media_endpoint(kvs, name)]  # later sessions look the endpoint up afresh
        start_ms = round((args.start or datetime.now(UTC)).timestamp() * 1000)
        fragments = pack_fragments(source.frames(), start_ms=start_ms, fragment_ms=round(args.fragment_seconds * 1000))
        # The codec private data (SPS/PPS) is only certain once the first keyframe has been read.
        first = next(fragments, None)
        if first is None:
            raise SourceError(f"{args.source!r} has no decodable H.264 keyframe")
        header = ebml.stream_header(ebml.VideoTrack(source.codec_private, source.width, source.height))
        mode = "re-encoding to H.264" if source.reencode else f"remuxing {source.input_codec}"
        print(
            f"pushing {redact(args.source)} to {name} ({mode}, {source.width}x{source.height}, "
            f"producer start {_iso(start_ms)})",
            file=sys.stderr,
        )
        bar, on_ack = _progress_bar(args.no_progress)

        def open_session() -> PutMediaSession:
            return PutMediaSession(
                endpoint=endpoints.pop() if endpoints else put_media_endpoint(kvs, name),
                stream_name=name,
                credentials=credentials,
                region=region,
                producer_start_ms=start_ms,
                on_ack=on_ack,
                timeout_s=args.timeout,
            )

        try:
            result = stream_fragments(
                open_session,
                header,
                itertools.chain([first], fragments),
                Pacer(realtime=args.realtime and not is_live(args.source)),
                max_session_s=args.session_minutes * 60,
            )
        finally:
            bar.close()

    print(
        f"{result.fragments_sent} fragments sent, {result.persisted} persisted, producer time "
        f"{_iso(start_ms)} .. {_iso(result.last_timecode_ms or start_ms)} on {name}"
        + (" (stopped by the user)" if result.interrupted else ""),
    )
    if result.persisted < result.fragments_sent:
        print(
            f"warning: {result.fragments_sent - result.persisted} fragments not acknowledged as persisted "
            f"within {args.timeout:.0f} s",
            file=sys.stderr,
        )
        return 1
    return 0


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
