"""Issue 30, case 6: the public links function answers 400 to any malformed request (a token that is not base64url,
too many form fields, a body that is not UTF-8, a body that is not a form) instead of raising (a 502 and a
links-errors alarm from an unauthenticated request), and changes nothing."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from handlers.conftest import LambdaContext
from videoalert_local.links_server import function_url_event

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def links(aws, monkeypatch):
    import feedback_links

    from videoalert.wiring import build_links

    sess, res = aws
    monkeypatch.setattr(feedback_links, "_deps", build_links(res.links_settings(), session=sess))
    return feedback_links


def call(module, method: str, target: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, str]:
    answer = module.handler(function_url_event(method, target, body, headers), LambdaContext())
    return answer["statusCode"], answer["body"]


HOSTILE = {
    "GET a token that is not base64url": ("GET", "/label?v=cam1-x&t=v1.%C3%A9.AAAA", b"", None),
    "GET a review token that is not base64url": ("GET", "/review?c=cam1&t=v1.%C3%A9.AAAA", b"", None),
    "GET a token of bytes that are not UTF-8": ("GET", "/label?v=cam1-x&t=v1.%FF%FE.AAAA", b"", None),
    "GET no token at all": ("GET", "/label?v=cam1-x", b"", None),
    "POST a token that is not base64url": ("POST", "/label", b"v=cam1-x&t=v1.%C3%A9.AAAA", FORM),
    "POST many form fields": ("POST", "/label", "&".join(f"f{i}=x" for i in range(50)).encode(), FORM),
    "POST a body that is not UTF-8": ("POST", "/label", b"v=cam1-x&t=\xff\xfe\xfd", FORM),
    "POST a form escape that is not UTF-8": ("POST", "/label", b"v=cam1-x&t=%FF%FE", FORM),
    "POST JSON instead of a form": ("POST", "/label", b'{"v": "cam1-x", "t": "v1.a.b"}',
                                    {"content-type": "application/json"}),
    "POST nothing": ("POST", "/label", b"", None),
    "POST a huge field": ("POST", "/label", b"v=" + b"x" * 200_000 + b"&t=v1.a.b", FORM),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_malformed_request_is_answered_400(links, name):
    method, target, body, headers = HOSTILE[name]
    status, page = call(links, method, target, body, headers)
    assert status == 400, (name, status, page[:200])
    assert "Link not accepted" in page or "Bad request" in page


def test_a_valid_looking_token_with_a_trailing_pad_is_refused(links, aws):
    # Given a real link token for a clip, with one '=' added (the same bytes, another spelling)
    from datetime import UTC, datetime, timedelta

    from videoalert.domain.link_token import Action, LinkClaims, sign

    deps = links._deps
    token = sign(LinkClaims("t-1", "cam1-x", Action.FALSE_POSITIVE,
                            int((datetime.now(UTC) + timedelta(days=1)).timestamp())), deps.keys.current())
    assert call(links, "GET", f"/label?v=cam1-x&t={quote(token)}")[0] == 200
    # Then that spelling opens nothing
    assert call(links, "GET", f"/label?v=cam1-x&t={quote(token + '=')}")[0] == 400
