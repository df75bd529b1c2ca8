"""The review page and the alert e-mail in a real browser (Debian's headless Chromium, driven by Selenium through the
system chromedriver; nothing downloaded) against `run-local --serve`, at a phone's viewport (360x740, as a phone
lays out: device metrics with the mobile flag) and a desktop's (1280x800): the events list, paging and filters, an
event's page with its boxed picture and clip, a label in words and its undo, and never a sideways scroll.

VIDEOALERT_SCREENSHOTS=docs/img also writes the README's screenshots.
"""
from __future__ import annotations

import base64
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]
PHONE, DESKTOP = (360, 740), (1280, 800)
ROOT = Path(__file__).resolve().parents[2]
CLIPS_DIR = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "clips"
SHOTS = os.environ.get("VIDEOALERT_SCREENSHOTS")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`videoalert run-local --serve` over the six sample clips (upload path), until the module's tests end (its
    record of itself in a temporary place, fake credentials: as the function-scoped autouse fixtures give a test)."""
    from videoalert_local.local_run import run_local

    if not CLIPS_DIR.is_dir():
        pytest.fail(f"sample clips not found at {CLIPS_DIR}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIDEOALERT_LOCAL_STATE", str(tmp_path_factory.mktemp("state") / "local-run.json"))
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_PROFILE", raising=False)
        yield from _serve(sorted(CLIPS_DIR.glob("*.mp4")), run_local)


def _serve(videos, run_local):
    said: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=run_local, args=(videos,), daemon=True,
                              kwargs={"paths": ("upload",), "serve": True, "stop": stop, "report_dir": None,
                                      "say": said.append, "show_record": False})
    thread.start()
    deadline = time.monotonic() + 600
    while not any(line.startswith("events of every camera: ") for line in said):
        assert thread.is_alive() and time.monotonic() < deadline, "\n".join(said)
        time.sleep(0.5)
    review = next(line for line in said if line.startswith("review page of cam1: ")).split(": ", 1)[1]
    every = next(line for line in said if line.startswith("events of every camera: ")).split(": ", 1)[1]
    endpoint = re.search(r"moto server at (\S+),", "\n".join(said)).group(1)
    yield {"review": review, "every": every, "endpoint": endpoint, "clips": len(videos)}
    stop.set()
    thread.join(timeout=60)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def viewport(browser, size: tuple[int, int]) -> None:
    """Lay pages out as a device of this size does (the mobile flag honours the meta viewport, as a phone)."""
    width, height = size
    browser.set_window_size(max(width, 500), height + 200)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 2 if width < 500 else 1, "mobile": width < 500})


def no_sideways_scroll(browser) -> None:
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px viewport"


def shot(browser, name: str, size: tuple[int, int], *, full: bool = False) -> None:
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    if full:  # the whole page, at this width
        height = browser.execute_script("return document.documentElement.scrollHeight")
        viewport(browser, (size[0], min(height, 4000)))
    browser.save_screenshot(str(folder / name))
    if full:
        viewport(browser, size)


def follow(browser, element) -> None:
    """Click a link or a form's button and wait for the next page (the old one's elements go stale)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 60).until(ec.staleness_of(page))


def cards(browser):
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, "article.event")


def submit(browser, card, text: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    follow(browser, card.find_element(By.XPATH, f".//button[normalize-space()='{text}']"))
    return WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "result")))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_events_page_filters_label_and_undo_without_sideways_scroll(served, browser, size, monkeypatch):
    from selenium.webdriver.common.by import By

    import videoalert.app.one_tap as one_tap
    from videoalert.store.memory import FpMemory
    from videoalert.store.videos import VideoRecords
    from videoalert_local import emulator

    viewport(browser, size)
    # Given every camera's events page, four to a page
    monkeypatch.setattr(one_tap, "REVIEW_EVENTS", 4)
    browser.get(served["every"])
    no_sideways_scroll(browser)
    # Then the newest four of the six clips' events are listed, an older page holds the other two
    assert len(cards(browser)) == 4
    follow(browser, browser.find_element(By.ID, "older"))
    assert len(cards(browser)) == served["clips"] - 4
    no_sideways_scroll(browser)
    follow(browser, browser.find_element(By.ID, "newer"))
    # When the user shows only the alerts (the filter form)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, "d")).select_by_value("ALERT")
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".filters button"))
    # Then both people's events are there, each with its picture (loaded) and the two buttons; no other card
    alerts = cards(browser)
    assert [c.find_element(By.CSS_SELECTOR, ".decision").text for c in alerts] == ["ALERT", "ALERT"]
    for card in alerts:
        image = card.find_element(By.CSS_SELECTOR, ".frame img")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
        assert card.find_elements(By.CSS_SELECTOR, "rect.person")
        assert sorted(b.text for b in card.find_elements(By.TAG_NAME, "button")) == ["Correct", "Not a person"]
    no_sideways_scroll(browser)
    tag = "phone" if size == PHONE else "desktop"
    shot(browser, f"events-{tag}.png", size, full=size == PHONE)
    filtered = browser.current_url
    # And quiet clips have no buttons (no label makes sense where nothing was claimed)
    browser.get(served["every"] + "&d=NO_ALERT")
    assert cards(browser) and not browser.find_elements(By.CSS_SELECTOR, "article.event button")

    # When the user taps "Not a person" on one of them (the phone takes the first, the desktop the second)
    browser.get(filtered)
    card = cards(browser)[0 if size == PHONE else 1]
    video_id = card.get_attribute("data-video")
    answer = submit(browser, card, "Not a person")
    # Then the record is labelled and the camera remembers the clip
    assert "Marked as not a person" in answer.text
    sess, names = emulator.session(), emulator.names.local_names()
    ddb = sess.resource("dynamodb", endpoint_url=served["endpoint"])
    records = VideoRecords(ddb.Table(names["videos_table"]))
    assert records.get(video_id).label.value == "false_positive"
    assert video_id in {e.video_id for e in FpMemory(ddb.Table(names["fp_memory_table"])).entries("cam1")}
    # And back on the page, the event says so in words, with an undo instead of the buttons
    follow(browser, browser.find_element(By.LINK_TEXT, "Back to the review page"))
    card = browser.find_element(By.CSS_SELECTOR, f'article.event[data-video="{video_id}"]')
    assert card.find_element(By.CSS_SELECTOR, ".label").text == "Marked: not a person"
    assert [b.text for b in card.find_elements(By.TAG_NAME, "button")] == ["Undo"]
    no_sideways_scroll(browser)
    if size == PHONE:
        browser.execute_script("arguments[0].scrollIntoView()", card)
        shot(browser, "event-labelled-phone.png", size)
    # When Undo is tapped, Then the label and the memory of it are gone and the buttons are back
    answer = submit(browser, card, "Undo")
    assert "Label taken away" in answer.text
    assert records.get(video_id).label is None
    assert video_id not in {e.video_id for e in FpMemory(ddb.Table(names["fp_memory_table"])).entries("cam1")}
    follow(browser, browser.find_element(By.LINK_TEXT, "Back to the review page"))
    card = browser.find_element(By.CSS_SELECTOR, f'article.event[data-video="{video_id}"]')
    assert sorted(b.text for b in card.find_elements(By.TAG_NAME, "button")) == ["Correct", "Not a person"]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_event_page_shows_the_boxed_picture_and_plays_the_clip(served, browser, size):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    viewport(browser, size)
    # Given the camera's review page, When the user opens an alert's details
    browser.get(served["review"] + "&d=ALERT")
    follow(browser, cards(browser)[0].find_element(By.LINK_TEXT, "details and clip"))
    # Then the picture with the person's box, the clip (it loads and has a length) and the scores are there
    image = browser.find_element(By.CSS_SELECTOR, ".frame img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
    assert browser.find_elements(By.CSS_SELECTOR, ".frame rect.person")
    video = browser.find_element(By.TAG_NAME, "video")
    duration = WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return arguments[0].readyState >= 1 && arguments[0].duration", video))
    assert duration > 1
    assert browser.find_elements(By.CSS_SELECTOR, "svg.plot polyline")
    no_sideways_scroll(browser)
    shot(browser, f"event-{'phone' if size == PHONE else 'desktop'}.png", size, full=size == PHONE)


def test_the_html_alert_shows_the_picture_and_both_buttons_in_a_phone_s_first_screen(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    from videoalert.app.links import LinkSigner, alert_links
    from videoalert.aws.s3 import ClipStore
    from videoalert.aws.secrets import SigningKeys
    from videoalert.domain.alert_email import alert_html
    from videoalert.domain.ids import frame_key
    from videoalert.store.videos import VideoRecords
    from videoalert_local import emulator

    # Given the e-mail of one of the run's alerts, its picture inline (as the MIME part the mail client shows)
    sess, names = emulator.session(), emulator.names.local_names()
    endpoint = served["endpoint"]
    records = VideoRecords(sess.resource("dynamodb", endpoint_url=endpoint).Table(names["videos_table"]))
    record = next(r for r in records.all() if r.decision is not None and r.decision.value == "ALERT")
    clips = ClipStore(sess.client("s3", endpoint_url=endpoint), names["video_bucket"])
    jpeg = clips.read(frame_key(record.camera_id, record.window_start, record.video_id))
    assert jpeg
    signer = LinkSigner(SigningKeys(sess.client("secretsmanager", endpoint_url=endpoint), names["signing_secret"]),
                        served["review"].split("/review", 1)[0])
    from datetime import UTC, datetime

    links = alert_links(record, clips=clips, signer=signer, now=datetime.now(UTC))
    page = tmp_path / "alert.html"
    page.write_text(alert_html(record, links, frame_src="data:image/jpeg;base64," + base64.b64encode(jpeg).decode()))
    # When a phone shows it
    viewport(browser, PHONE)
    browser.get(page.as_uri())
    # Then the picture and both buttons are in the first screen, and nothing scrolls sideways
    image = browser.find_element(By.TAG_NAME, "img")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
    bottoms = {el.text or "picture": el.rect["y"] + el.rect["height"]
               for el in [image, *browser.find_elements(By.CSS_SELECTOR, "a[href*='/label']")]}
    assert set(bottoms) == {"picture", "Not a person", "Correct"}
    assert max(bottoms.values()) <= PHONE[1], bottoms
    no_sideways_scroll(browser)
    shot(browser, "alert-email.png", PHONE)


# The test's stand-in for PushManager.subscribe, injected before the page's own script runs: Chromium's real subscribe
# registers with Google's FCM (it never settles here, no internet: measured, docs/integrations.md). Like a browser, it
# makes the subscription's P-256 key pair and auth secret (WebCrypto) and keeps the private half (here: for the push
# stand-in, which decrypts with it); the endpoint is the stand-in's. Everything after it is the page's real code.
SUBSCRIBE_STAND_IN = """
(() => {
  const b64u = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
  PushManager.prototype.subscribe = async function (options) {
    const pair = await crypto.subtle.generateKey({name: 'ECDH', namedCurve: 'P-256'}, true, ['deriveBits']);
    const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const id = b64u(crypto.getRandomValues(new Uint8Array(12)));
    const json = {endpoint: '%s/push/' + id, expirationTime: null, keys: {p256dh: b64u(raw), auth: b64u(auth)}};
    window.__pushStandIn = {id: id, jwk: jwk, auth: json.keys.auth,
                            applicationServerKey: b64u(options.applicationServerKey)};
    return {endpoint: json.endpoint, expirationTime: null, options: options, toJSON: () => json};
  };
})();
"""


def _devtools(browser):
    """A second DevTools connection to the page (chromedriver holds the first): events need one of our own."""
    import json
    import urllib.request

    import websocket

    address = browser.capabilities["goog:chromeOptions"]["debuggerAddress"]
    with urllib.request.urlopen(f"http://{address}/json", timeout=10) as answer:
        target = next(t for t in json.load(answer) if t["type"] == "page")
    return websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)


def _registration_id(connection, scope: str) -> str:
    """The service worker registration of the scope, from the ServiceWorker domain's events."""
    import json

    connection.send(json.dumps({"id": 1, "method": "ServiceWorker.enable"}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = json.loads(connection.recv())
        for registration in message.get("params", {}).get("registrations", []):
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                return str(registration["registrationId"])
    raise AssertionError(f"no service worker registration for {scope}")


def test_a_push_notification_reaches_a_subscribed_page_through_the_local_push_stand_in(served, browser, tmp_path):
    import json
    from datetime import UTC, datetime

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from fixtures.push_standin import push_standin
    from videoalert.app.deliveries import deliver
    from videoalert.app.links import LinkSigner, compose_alert
    from videoalert.aws.s3 import ClipStore
    from videoalert.aws.secrets import SigningKeys
    from videoalert.config.deliveries import DeliverySettings
    from videoalert.store.push_subscriptions import PushSubscriptions
    from videoalert.store.videos import VideoRecords
    from videoalert.wiring import build_deliveries
    from videoalert_local import emulator

    sess, names, endpoint = emulator.session(), emulator.names.local_names(), served["endpoint"]
    origin = served["review"].split("/review", 1)[0]
    table = PushSubscriptions(sess.resource("dynamodb", endpoint_url=endpoint).Table(names["push_table"]))
    with push_standin() as service:
        # Given cam1's review page on a phone, notifications allowed, subscribe going to the push stand-in
        viewport(browser, PHONE)
        browser.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["notifications"], "origin": origin})
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SUBSCRIBE_STAND_IN % service.base})
        browser.get(served["review"])
        assert browser.find_element(By.CSS_SELECTOR, "link[rel=manifest]")
        manifest = json.loads(browser.execute_async_script(
            "const done = arguments[0]; fetch(document.querySelector('link[rel=manifest]').href)"
            ".then(r => r.text()).then(done);"))
        assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/review?c=cam1&t=")
        # When the user taps "Notify this device"
        browser.find_element(By.CSS_SELECTOR, "#push button").click()
        box = browser.find_element(By.ID, "push")
        WebDriverWait(browser, 60).until(lambda b: box.get_attribute("data-state") in ("subscribed", "failed"))
        assert box.get_attribute("data-state") == "subscribed", box.text
        assert "notified of each alert on camera cam1" in box.text
        # Then the API stored the browser's subscription for cam1, subscribed with the stack's VAPID public key
        browser_keys = browser.execute_script("return window.__pushStandIn")
        [(scope, stored)] = table.for_camera("cam1")
        assert scope == "cam1" and stored.endpoint == f"{service.base}/push/{browser_keys['id']}"
        vapid = json.loads(sess.client("secretsmanager", endpoint_url=endpoint)
                           .get_secret_value(SecretId=names["vapid_secret"])["SecretString"])
        assert browser_keys["applicationServerKey"] == vapid["public_key"]
        service.add_browser(browser_keys["id"], browser_keys["jwk"], browser_keys["auth"],
                            browser_keys["applicationServerKey"])
        no_sideways_scroll(browser)

        # When one of cam1's alerts goes through the deliveries (the alert as SNS publishes it), twice (SQS)
        records = VideoRecords(sess.resource("dynamodb", endpoint_url=endpoint).Table(names["videos_table"]))
        record = next(r for r in records.all() if r.camera_id == "cam1" and r.decision is not None
                      and r.decision.value == "ALERT")
        clips = ClipStore(sess.client("s3", endpoint_url=endpoint), names["video_bucket"])
        signer = LinkSigner(SigningKeys(sess.client("secretsmanager", endpoint_url=endpoint),
                                        names["signing_secret"]), origin)
        alert = compose_alert(record, clips=clips, signer=signer, now=datetime.now(UTC))
        deps = build_deliveries(DeliverySettings(videos_table=names["videos_table"],
                                                 video_bucket=names["video_bucket"], push_table=names["push_table"],
                                                 vapid_secret=names["vapid_secret"]),
                                session=sess, endpoint_url=endpoint)
        first = deliver(alert.subject, json.loads(alert.body), deps)
        again = deliver(alert.subject, json.loads(alert.body), deps)
        # Then the push service got one message, VAPID-signed for its origin, encrypted for this browser
        assert first["push"] == "delivered to 1" and again["push"] == "delivered to 0, 1 already", (first, again)
        assert service.refused == [] and len(service.received) == 1
        [message] = service.received
        assert message["claims"]["aud"] == service.base and message["ttl"] > 0 and message["topic"]
        notification = json.loads(message["data"])
        assert notification["title"] == alert.subject and notification["tag"] == record.video_id
        assert notification["url"].startswith(f"{origin}/review?c=cam1&t=")

        # When the push service hands it to the browser (what FCM does for a real Chromium), Then the page's service
        # worker shows it as a notification and tells the open page
        devtools = _devtools(browser)
        try:
            registration = _registration_id(devtools, f"{origin}/")
            devtools.send(json.dumps({"id": 2, "method": "ServiceWorker.deliverPushMessage", "params": {
                "origin": origin, "registrationId": registration, "data": message["data"]}}))
            WebDriverWait(browser, 30).until(lambda b: box.get_attribute("data-state") == "notified")
        finally:
            devtools.close()
        assert box.get_attribute("data-last") == record.video_id and not box.get_attribute("data-error"), \
            box.get_attribute("data-error")
        assert alert.subject in box.text
        shown = browser.execute_async_script(
            "const done = arguments[0]; navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(list => done(list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}))));")
        assert shown == [{"title": alert.subject, "body": notification["body"], "tag": record.video_id,
                          "url": notification["url"]}]
        no_sideways_scroll(browser)
        shot(browser, "push-phone.png", PHONE)

        # When the browser has gone (the push service answers 410), Then the next alert removes its subscription
        service.browsers[browser_keys["id"]].answer = 410
        other = next(r for r in records.all() if r.camera_id == "cam1" and r.video_id != record.video_id
                     and r.decision is not None)
        outcome = deliver("another alert", {"video_id": other.video_id, "camera_id": "cam1"}, deps)
        assert outcome["push"] == "delivered to 0, 1 gone" and table.for_camera("cam1") == []
