"""Signed one-tap link tokens: sign and verify, and every way a token is refused (expiry, tamper, wrong video or
action, a key rotated away)."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from videoalert.domain.link_token import LABEL_ACTIONS, Action, LinkClaims, TokenRefused, sign, verify

KEY, OTHER_KEY = b"k" * 48, b"o" * 48
NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
CLAIMS = LinkClaims(token_id="tok-1", subject="cam1-20261204T055900Z", action=Action.FALSE_POSITIVE,
                    expires_at=int((NOW + timedelta(days=7)).timestamp()))


def check(token: str, keys=(KEY,), *, now=NOW, subject=CLAIMS.subject, actions=LABEL_ACTIONS) -> LinkClaims:
    return verify(token, list(keys), now=now, subject=subject, actions=actions)


def refusal(token: str, **kwargs) -> str:
    with pytest.raises(TokenRefused) as info:
        check(token, **kwargs)
    return info.value.reason


def test_a_signed_token_verifies_to_its_claims():
    token = sign(CLAIMS, KEY)
    assert token.startswith("v1.") and check(token) == CLAIMS


def test_a_token_signed_before_a_rotation_still_verifies_with_the_previous_key():
    # Given the key rotated (the new key first, the previous one still kept), a token of the old key verifies
    assert check(sign(CLAIMS, OTHER_KEY), keys=(KEY, OTHER_KEY)) == CLAIMS
    # and once the previous key is gone, it no longer does
    assert refusal(sign(CLAIMS, OTHER_KEY)) == "BAD_SIGNATURE"


def test_an_expired_token_is_refused_at_its_expiry_second():
    token = sign(CLAIMS, KEY)
    expiry = datetime.fromtimestamp(CLAIMS.expires_at, UTC)
    assert check(token, now=expiry - timedelta(seconds=1)) == CLAIMS
    assert refusal(token, now=expiry) == "EXPIRED"


def test_a_token_for_another_video_is_refused():
    assert refusal(sign(CLAIMS, KEY), subject="cam1-20261204T060000Z") == "WRONG_SUBJECT"


def test_a_review_token_cannot_label_and_a_label_token_cannot_open_a_review_page():
    review = LinkClaims("tok-2", "cam1", Action.REVIEW, CLAIMS.expires_at)
    assert refusal(sign(review, KEY), subject="cam1") == "WRONG_ACTION"
    assert refusal(sign(CLAIMS, KEY), actions=(Action.REVIEW,)) == "WRONG_ACTION"


def _tampered(token: str, **changes) -> str:
    version, body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    new_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{version}.{new_body}.{mac}"


@pytest.mark.parametrize("changes", [{"act": "true_positive"}, {"exp": CLAIMS.expires_at + 86400},
                                     {"sub": "cam1-20261204T060000Z"}, {"id": "tok-other"}],
                         ids=["label", "expiry", "video", "token-id"])
def test_a_tampered_claim_breaks_the_signature(changes):
    token = _tampered(sign(CLAIMS, KEY), **changes)
    assert refusal(token, subject=changes.get("sub", CLAIMS.subject)) == "BAD_SIGNATURE"


@pytest.mark.parametrize("token", ["", "v1.abc", "v2.a.b", "v1.a.b.c", "x" * 700, "v1.e30.!!!"],
                         ids=["empty", "two-parts", "version", "four-parts", "too-long", "bad-mac"])
def test_malformed_tokens_are_refused(token):
    assert refusal(token) in ("MALFORMED", "BAD_SIGNATURE")


def test_a_flipped_signature_bit_is_refused():
    token = sign(CLAIMS, KEY)
    head, mac = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(mac + "="))
    raw[0] ^= 1
    assert refusal(f"{head}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}") == "BAD_SIGNATURE"


def test_an_empty_key_never_signs_and_never_verifies():
    with pytest.raises(ValueError):
        sign(CLAIMS, b"")
    assert refusal(sign(CLAIMS, KEY), keys=(b"",)) == "BAD_SIGNATURE"


@pytest.mark.parametrize("spelling", ["trailing-pad", "non-canonical-last-char", "non-ascii-claims", "non-ascii-mac"])
def test_a_token_has_one_spelling_and_any_other_is_malformed(spelling):
    # Given a good token, respelled: the same bytes under base64url's padding or unused bits, or text that is not
    # base64url at all (each once raised, or verified as a second spelling)
    token = sign(CLAIMS, KEY)
    version, body, mac = token.split(".")
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = {
        "trailing-pad": f"{token}=",
        # a 32-byte MAC is 43 characters: the last carries 2 bits and 4 unused ones; these set an unused bit
        "non-canonical-last-char": f"{version}.{body}.{mac[:-1]}{last[last.index(mac[-1]) ^ 1]}",
        "non-ascii-claims": f"{version}.\u00e9.{mac}",
        "non-ascii-mac": f"{version}.{body}.{mac[:-1]}\u00e9",
    }[spelling]
    # Then it is refused as malformed, never raised and never accepted
    assert refusal(respelled) == "MALFORMED"
