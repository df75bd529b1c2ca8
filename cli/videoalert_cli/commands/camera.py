"""`videoalert camera add|edit|list|show|remove`: the camera registry. Adding a camera creates its Kinesis video stream
(KMS-encrypted, tagged, with its retention) and registers it; the next minute's tick lists it: no redeploy. The same
works on a running `run-local --serve` with --local (its KVS stand-in), without a restart."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..options import add_json, camera_id, integer


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from videoalert_contract.names import MAX_STREAM_RETENTION_HOURS, MIN_STREAM_RETENTION_HOURS

    from ..resources import add_target_arguments
    from .rule import timezone

    parser = sub.add_parser("camera", parents=parents, help="add, edit, list, show or remove cameras (no redeploy)",
                            description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser),
                                    help="add, edit, list, show or remove")

    add = actions.add_parser("add", parents=parents, help="register a camera and create its stream",
                             description="Create the camera's Kinesis video stream (or adopt the one of that name) "
                                         "and register the camera; prints the IAM policy its producer needs.")
    add.add_argument("camera", type=camera_id, help="the camera id; its stream is videoalert-<camera>")
    add.add_argument("--timezone", type=timezone, default="UTC", metavar="ZONE",
                     help="the camera's IANA time zone, for the alert's local time (default UTC)")
    add.add_argument("--retention-hours", type=integer(low=MIN_STREAM_RETENTION_HOURS,
                                                       high=MAX_STREAM_RETENTION_HOURS),
                     default=MIN_STREAM_RETENTION_HOURS, metavar="H",
                     help=f"hours the stream keeps video, {MIN_STREAM_RETENTION_HOURS}..{MAX_STREAM_RETENTION_HOURS} "
                          f"(default {MIN_STREAM_RETENTION_HOURS}: a paused pipeline catches up on a day)")
    add.add_argument("--motion-triggered", action="store_true",
                     help="the camera streams only when it sees motion: silence is normal, never 'offline'")
    add.add_argument("--sub-stream", action="store_true",
                     help="the camera also sends a small stream of the same view (its sub-stream), into "
                          "videoalert-_sub-<camera>: that is scored, the main stream kept for the record and picture")
    add_json(add, "the camera, its stream and the producer policy")
    add_target_arguments(add)
    edit = _edit_parser(actions, parents)

    listing = actions.add_parser("list", parents=parents, help="the registered cameras",
                                 description="Every registered camera: its stream, retention, time zone, state.")
    add_json(listing, "the cameras")
    add_target_arguments(listing)

    show = actions.add_parser("show", parents=parents, help="a camera's registration and health",
                              description="A camera's stream (status, newest fragment of the last 15 minutes), its "
                                          "newest clip, its last alert and open failures of the last day, and its "
                                          "state (ONLINE, OFFLINE, QUIET for a silent motion-triggered camera, NEW, "
                                          "DISABLED).")
    show.add_argument("camera", type=camera_id, help="the camera id")
    add_json(show, "the camera's health")
    add_target_arguments(show)

    remove = actions.add_parser("remove", parents=parents, help="unregister a camera (its stream and clips stay)",
                                description="Unregister the camera: no more ticks, its uploads are rejected. Its "
                                            "records, clips and false-positive memory stay; its stream and the video "
                                            "in it stay unless --delete-stream (adding the camera again adopts it).")
    remove.add_argument("camera", type=camera_id, help="the camera id")
    remove.add_argument("--delete-stream", action="store_true",
                        help="delete the camera's Kinesis video stream and the video it holds, too")
    add_json(remove, "what was removed")
    add_target_arguments(remove)
    for action in (add, edit, listing, show, remove):
        action.set_defaults(func=run)


def _edit_parser(actions: Any, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    from ..resources import add_target_arguments

    edit: argparse.ArgumentParser = actions.add_parser(
        "edit", parents=parents, help="change a camera's registration (its sub-stream)",
        description="Score the camera from a sub-stream (created or adopted now; the next clip is scored from it) or "
                    "from its main stream again (the sub-stream stays).")
    edit.add_argument("camera", type=camera_id, help="the camera id")
    which = edit.add_mutually_exclusive_group(required=True)
    which.add_argument("--sub-stream", dest="sub_stream", action="store_true", default=None,
                       help="score the camera's sub-stream videoalert-_sub-<camera>")
    which.add_argument("--no-sub-stream", dest="sub_stream", action="store_false",
                       help="score the camera's main stream again")
    add_json(edit, "the camera, its streams and the producer policy")
    add_target_arguments(edit)
    return edit


def registry(target: Any) -> Any:
    """The registry's use-case dependencies on the target: its tables, and its KVS (the stand-in with --local)."""
    from videoalert.config.cameras import RegistrySettings
    from videoalert.wiring import build_registry

    from ..errors import UserError

    if target.local and not target.kvs_endpoint_url:
        raise UserError("the running local emulator has no Kinesis Video Streams stand-in (restart it with "
                        "`videoalert run-local --serve`)")
    if not target.local and not target.resources.get("stream_key_arn"):
        # Without the key a stream would be made with KVS's default key, not the one the stack grants on.
        raise UserError(f"{target.where} has no StreamKeyArn output: deploy this version of the stack first")
    settings = RegistrySettings(cameras_table=target.resources["cameras_table"],
                                videos_table=target.resources["videos_table"],
                                stream_key_arn=target.resources.get("stream_key_arn"),
                                stage=target.resources.get("stage") or ("local" if target.local else "dev"))
    return build_registry(settings, session=target.session, endpoint_url=target.endpoint_url,
                          kvs_endpoint_url=target.kvs_endpoint_url)


def run(args: argparse.Namespace) -> int:
    from videoalert.app import cameras
    from videoalert.domain.errors import UnknownCamera

    from ..errors import UserError
    from ..resources import resolve

    target = resolve(args)
    deps = registry(target)
    try:
        if args.action == "add":
            return _add(args, deps, target)
        if args.action == "edit":
            return _edit(args, deps, target)
        if args.action == "list":
            return _list(args, deps)
        if args.action == "show":
            return _show(args, deps)
        return _remove(args, deps, target)
    except UnknownCamera:
        raise target.unknown_camera(args.camera) from None
    except (cameras.CameraAlreadyRegistered, cameras.BadCameraRequest) as exc:
        raise UserError(f"{exc} on {target.where}") from exc


def _add(args: argparse.Namespace, deps: Any, target: Any) -> int:
    from videoalert.app.cameras import CameraRequest, add_camera

    from ..output import print_json

    added = add_camera(deps, CameraRequest(args.camera, timezone=args.timezone, retention_hours=args.retention_hours,
                                           motion_triggered=args.motion_triggered, sub_stream=args.sub_stream))
    if args.json:
        print_json(added.describe())
        return 0
    stream = added.stream
    how = "created" if stream.created else "adopted (it existed)"
    key = f", KMS key {stream.kms_key_id}" if stream.kms_key_id else ", no KMS key (the local stand-in)"
    print(f"camera {args.camera} registered on {target.where}: stream {stream.name} {how}, {stream.retention_hours} h "
          f"retention{key}; the next tick (within a minute) processes it.")
    _print_sub_stream(added)
    print(f"A producer for {args.camera} needs this IAM policy (attach it to the identity the camera or "
          f"`videoalert push` uses):")
    print(json.dumps(added.producer_policy, indent=2))
    return 0


def _print_sub_stream(added: Any) -> None:
    if added.sub_stream is not None:
        how = "created" if added.sub_stream.created else "adopted (it existed)"
        print(f"sub-stream {added.sub_stream.name} {how}: the camera is scored from it (`videoalert push "
              f"{added.camera.camera_id} FILE --sub-stream` sends both)")


def _edit(args: argparse.Namespace, deps: Any, target: Any) -> int:
    from videoalert.app.cameras import set_sub_stream

    from ..output import print_json

    edited = set_sub_stream(deps, args.camera, enabled=args.sub_stream)
    if args.json:
        print_json(edited.describe())
        return 0
    if edited.sub_stream is None:
        print(f"camera {args.camera} on {target.where}: its main stream {edited.stream.name} is scored again from the "
              f"next clip (its sub-stream and the video in it stay)")
        return 0
    _print_sub_stream(edited)
    print("Its producer needs this IAM policy:")
    print(json.dumps(edited.producer_policy, indent=2))
    return 0


def _list(args: argparse.Namespace, deps: Any) -> int:
    from videoalert.app.cameras import list_cameras
    from videoalert.domain.ids import iso
    from videoalert_contract.names import stream_name

    from ..formatting import table
    from ..output import note, print_json

    found = list_cameras(deps)
    rows = [{"camera_id": c.camera_id, "enabled": c.enabled and c.rule.enabled, "motion_triggered": c.motion_triggered,
             "timezone": c.rule.timezone, "retention_hours": c.retention_hours, "stream_name": stream_name(c.camera_id),
             "stream_arn": c.stream_arn, "scoring_stream": c.scoring_stream,
             "registered_at": c.registered_at and iso(c.registered_at)} for c in found]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        note("no cameras registered: `videoalert camera add CAMERA` registers one")
        return 0
    print(table(["camera", "enabled", "motion", "timezone", "retention_h", "stream", "registered_at"],
                [[r["camera_id"], "yes" if r["enabled"] else "no", "yes" if r["motion_triggered"] else "no",
                  r["timezone"], r["retention_hours"], r["stream_name"], r["registered_at"]] for r in rows]))
    return 0


def _show(args: argparse.Namespace, deps: Any) -> int:
    from videoalert.app.cameras import show_camera

    from ..output import print_json

    health = show_camera(deps, args.camera).describe()
    if args.json:
        print_json(health)
        return 0
    stream = health["stream"]
    failures = health["open_failures"]

    def clip(value: dict[str, Any] | None) -> str:
        if value is None:
            return "none"
        return f"{value['video_id']} ({value['window_start']}, {value['status']} {value['decision'] or ''})".rstrip()

    lines = [
        ("camera", health["camera_id"]),
        ("state", health["state"] + (" (motion-triggered)" if health["motion_triggered"] else "")),
        ("registered", health["registered_at"] or "before the registry (no date recorded)"),
        ("timezone", health["timezone"]),
        ("rule", f"v{health['rule_version']}{'' if health['enabled'] else ' (disabled)'}"),
        ("stream", "missing: its producer has nowhere to send (`videoalert camera remove` then `add` creates it)"
         if stream is None else f"{stream['name']} {stream['status']}, {stream['retention_hours']} h retention"),
        ("scored from", health["scoring_stream"] or "its stream"),
        ("last fragment", health["last_fragment"] or "none in the last 15 minutes"),
        ("cursor", health["cursor"] or "no window cut yet"),
        ("last clip", clip(health["last_clip"])),
        ("last alert", clip(health["last_alert"]) if health["last_alert"] else "none in the last day"),
        ("failed (1 day)", ", ".join(failures["failed"]) or "none"),
        ("overdue open", ", ".join(failures["overdue"]) or "none"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}")
    return 0


def _remove(args: argparse.Namespace, deps: Any, target: Any) -> int:
    from videoalert.app.cameras import remove_camera

    from ..output import print_json

    removed = remove_camera(deps, args.camera, delete_stream=args.delete_stream)
    if args.json:
        print_json(removed.describe())
        return 0
    kept = (f"its stream {removed.stream_name} and the video in it were deleted" if removed.stream_deleted
            else f"its stream {removed.stream_name} was already gone" if args.delete_stream
            else f"its stream {removed.stream_name} and the video in it are kept (--delete-stream deletes them)")
    print(f"camera {args.camera} removed from {target.where}: no more ticks, its uploads are rejected; its records "
          f"and clips stay; {kept}.")
    return 0
