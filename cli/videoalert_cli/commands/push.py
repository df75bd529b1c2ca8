"""`videoalert push CAMERA SOURCE`: send a video file or camera URL into the camera's Kinesis video stream."""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from ..options import add_json, add_progress, camera_id, number, time_point


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser(
        "push", parents=parents,
        help="send a video file or camera URL into a camera's Kinesis video stream (PutMedia)",
        description=__doc__ + "\n\nH.264 is remuxed as it is; other codecs, or keyframes over 10 s apart, are "
        "re-encoded. A file is sent at PutMedia's limit of 5 fragments/s (or its own pace with --realtime); a "
        "camera URL runs until Ctrl-C, which ends the upload cleanly.",
    )
    parser.add_argument("camera", type=camera_id, help="camera id; its stream is videoalert-<camera>")
    sub = parser.add_mutually_exclusive_group()
    sub.add_argument("--sub-stream", action="store_true",
                     help="a file: also send a small copy (--sub-width wide, same pictures and timestamps) into the "
                          "camera's sub-stream, which the worker scores (`videoalert camera add --sub-stream`)")
    sub.add_argument("--to-sub-stream", action="store_true",
                     help="send this source into the camera's sub-stream instead of its main stream (a camera's own "
                          "small stream URL, run beside the push of its main stream)")
    parser.add_argument("source", help="video file (anything FFmpeg reads) or an rtsp://, http(s):// camera URL")
    parser.add_argument("--realtime", action="store_true", help="send a file at its own frame rate, like a camera")
    parser.add_argument("--start", type=time_point, metavar="TIME",
                        help="producer time of the first frame: ISO 8601, or an age (5m = five minutes ago); "
                             "default now. It decides which minutes the video lands in")
    parser.add_argument("--fragment-seconds", type=number(above=0, high=10), default=2.0, metavar="S",
                        help="fragment (cluster) length, at most 10 (default 2)")
    parser.add_argument("--reencode", choices=["auto", "always", "never"], default="auto",
                        help="re-encode to H.264: auto = only when the source is not H.264 or its keyframes are "
                             "over 10 s apart (default auto)")
    parser.add_argument("--endpoint-url", metavar="URL",
                        help="Kinesis Video Streams control-plane endpoint (tests, other emulators)")
    parser.add_argument("--timeout", type=number(above=0), default=60.0, metavar="S",
                        help="seconds to wait for the network and acknowledgements (default 60)")
    parser.add_argument("--session-minutes", type=number(above=0), default=40.0, metavar="MIN",
                        help="start a new PutMedia connection after this long (AWS advises about every 45 min; "
                             "default 40)")
    parser.add_argument("--sub-width", type=number(above=0, high=1920), default=640.0, metavar="PX",
                        help="width of the sub-stream --sub-stream makes (default 640: 640x360 from 16:9)")
    add_json(parser, "the summary")
    add_progress(parser)
    add_target_arguments(parser, stack=False)
    parser.set_defaults(func=run)


def _clients(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """(kinesisvideo client, credentials, region) for the target: the local stand-in or AWS."""
    from ..errors import UsageError

    if args.local:
        if args.endpoint_url:
            raise UsageError("--endpoint-url and --local exclude each other")
        from ..resources import LOCAL_REGION, resolve

        target = resolve(args)
        if not target.kvs_endpoint_url:
            from ..errors import UserError

            raise UserError("the running local emulator has no Kinesis Video Streams stand-in (restart it with "
                            "`videoalert run-local --serve`)")
        kvs = target.session.client("kinesisvideo", endpoint_url=target.kvs_endpoint_url)
        return kvs, target.session.get_credentials(), LOCAL_REGION
    from ..resources import aws_session

    session = aws_session(args)
    kvs = session.client("kinesisvideo", endpoint_url=args.endpoint_url)
    return kvs, session.get_credentials(), session.region_name


def run(args: argparse.Namespace) -> int:
    from videoalert_contract.names import stream_name, sub_stream_name

    from ..errors import UsageError
    from ..kvs.source import is_live
    from ..output import print_json

    if args.sub_stream and is_live(args.source):
        raise UsageError("--sub-stream makes the small stream from a file; for a camera URL push the camera's own "
                         "small stream in a second command with --to-sub-stream")
    kvs, credentials, region = _clients(args)
    start_ms = round((args.start or datetime.now(UTC)).timestamp() * 1000)
    name = sub_stream_name(args.camera) if args.to_sub_stream else stream_name(args.camera)
    summaries = [_push(args, name, (kvs, credentials, region), start_ms, None)]
    if args.sub_stream:  # the same pictures from the same producer time: both streams share one time line
        summaries.append(_push(args, sub_stream_name(args.camera), (kvs, credentials, region), start_ms,
                               int(args.sub_width)))
    if args.json:
        print_json(summaries[0].to_dict() | ({"sub_stream": summaries[1].to_dict()} if args.sub_stream else {}))
    return 0


def _push(args: argparse.Namespace, name: str, clients: tuple[Any, Any, str], start_ms: int,
          width: int | None) -> Any:
    """One source into one stream, with its progress bar and summary line; UserError if not all was persisted."""
    from ..errors import UserError
    from ..kvs.producer import iso_ms, push_source
    from ..output import note, progress
    from ..redaction import redact

    kvs, credentials, region = clients
    bar = progress(unit="fragment", desc="persisted", disabled=args.no_progress)
    arriving: set[int] = set()  # KVS may send more than one BUFFERING ack per fragment

    def on_ack(ack: Any) -> None:
        if ack.event_type == "BUFFERING" and ack.fragment_timecode not in arriving:
            arriving.add(ack.fragment_timecode)
            bar.total = len(arriving)
            bar.refresh()
        elif ack.event_type == "PERSISTED":
            bar.update(1)
        elif ack.event_type == "ERROR":
            bar.write(ack.describe_error(), file=sys.stderr)

    def on_start(mode: str, source: Any) -> None:
        # A camera URL's credentials are never printed (issue 21): the source is shown with them as ***.
        note(f"pushing {redact(args.source)} to {name} ({mode}, {source.width}x{source.height}, producer start "
             f"{iso_ms(start_ms)})")

    try:
        summary = push_source(args.source, stream=name, kvs_client=kvs, credentials=credentials, region=region,
                              start_ms=start_ms, fragment_seconds=args.fragment_seconds, reencode=args.reencode,
                              realtime=args.realtime, timeout_s=args.timeout, session_minutes=args.session_minutes,
                              on_start=on_start, on_ack=on_ack, width=width)
    finally:
        bar.close()
    if not args.json:
        print(f"{summary.fragments_sent} fragments sent, {summary.persisted} persisted, producer time "
              f"{iso_ms(start_ms)} .. {iso_ms(summary.last_timecode_ms or start_ms)} on {name}"
              + (" (stopped by the user)" if summary.interrupted else ""))
    if not summary.complete:
        raise UserError(f"{summary.fragments_sent - summary.persisted} of {summary.fragments_sent} fragments not "
                        f"acknowledged as persisted within {args.timeout:.0f} s on {name}")
    return summary
