"""`videoalert webpush keys|list|remove`: Web Push to the review page installed on a phone.

keys: make the VAPID key pair (P-256, with py-vapid) and put it in the stack's secret (deploy with -c web_push=true
first); an existing key is kept unless --replace (which unsubscribes every browser: their subscriptions are bound to
the old public key). list: the subscribed browsers of a camera (or of every camera, scope *). remove: one of them.
Browsers subscribe from the review page ("Notify this phone"); docs/integrations.md says more.
"""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("webpush", parents=parents, help="Web Push: the VAPID key and the subscribed browsers",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    keys = actions.add_parser("keys", parents=parents, help="make the VAPID key pair and store it in the secret")
    keys.add_argument("--subject", required=True, metavar="CONTACT",
                      help="mailto:you@example.com or an https:// page: push services may contact it")
    keys.add_argument("--replace", action="store_true",
                      help="replace an existing key (every subscribed browser must subscribe again)")
    listing = actions.add_parser("list", parents=parents, help="the subscribed browsers")
    listing.add_argument("scope", nargs="?", default="*", metavar="SCOPE",
                         help="a camera id, or * for every camera (default *)")
    remove = actions.add_parser("remove", parents=parents, help="remove a subscribed browser")
    remove.add_argument("scope", help="a camera id, or * for every camera")
    remove.add_argument("subscription_id", help="its id (from `videoalert webpush list`)")
    for each in (keys, listing, remove):
        add_json(each, "the answer")
        add_target_arguments(each)
        each.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..output import print_json
    from ..resources import resolve

    target = resolve(args)
    if "push_table" not in target.resources or "vapid_secret" not in target.resources:
        raise UserError(f"Web Push is not set up on {target.where}: deploy with -c web_push=true")
    answer = {"keys": _keys, "list": _list, "remove": _remove}[args.action](args, target)
    if args.json:
        print_json(answer)
    else:
        print(answer["text"])
    return 0


def _keys(args: argparse.Namespace, target: Any) -> dict[str, Any]:
    import json

    from videoalert.aws.webpush import VapidSecret, new_vapid_key

    from ..errors import UserError

    secrets = target.client("secretsmanager")
    secret_id = target.resources["vapid_secret"]
    current = VapidSecret(secrets, secret_id).key()
    if current is not None and not args.replace:
        return {"public_key": current.public_key, "subject": current.subject, "changed": False,
                "text": f"a VAPID key is in place (public key {current.public_key}); --replace makes a new one"}
    try:
        key = new_vapid_key(args.subject)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(key))
    removed = _remove_all(target) if current is not None else 0
    note = f"; {removed} subscription(s) of the old key removed" if removed else ""
    return {"public_key": key["public_key"], "subject": key["subject"], "changed": True, "removed": removed,
            "text": f"VAPID key stored (public key {key['public_key']}); functions read it within a cold start{note}"}


def _table(target: Any) -> Any:
    from videoalert.store.push_subscriptions import PushSubscriptions

    return PushSubscriptions(target.table("push_table"))


def _remove_all(target: Any) -> int:
    table = target.table("push_table")
    kwargs: dict[str, Any] = {"ProjectionExpression": "#s, subscription_id",
                              "ExpressionAttributeNames": {"#s": "scope"}}
    removed = 0
    while True:
        page = table.scan(**kwargs)
        for item in page.get("Items", []):
            table.delete_item(Key={"scope": item["scope"], "subscription_id": item["subscription_id"]})
            removed += 1
        if "LastEvaluatedKey" not in page:
            return removed
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _list(args: argparse.Namespace, target: Any) -> dict[str, Any]:
    from urllib.parse import urlsplit

    rows = [{"scope": scope, "subscription_id": sub.subscription_id, "push_service": urlsplit(sub.endpoint).netloc}
            for scope, sub in _table(target).for_scope(args.scope)]
    lines = [f"{r['scope']}  {r['subscription_id']}  {r['push_service']}" for r in rows]
    what = "every camera" if args.scope == "*" else f"camera {args.scope}"
    return {"subscriptions": rows,
            "text": "\n".join([f"{len(rows)} browser(s) subscribed to {what}", *lines])}


def _remove(args: argparse.Namespace, target: Any) -> dict[str, Any]:
    _table(target).remove(args.scope, args.subscription_id)
    return {"removed": args.subscription_id, "text": f"removed {args.subscription_id} from {args.scope}"}
