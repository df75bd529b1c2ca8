"""The review page in a real browser (Debian's headless Chromium, driven by Selenium through the system
chromedriver; nothing downloaded) against `run-local --serve`: the page lists the sample clips' events, and a
tap on "not a person" labels the record and teaches the camera's memory.

VIDEOALERT_SCREENSHOTS=docs/img also writes the README's screenshots (the page and an alert e-mail's text).
"""
from __future__ import annotations

import html
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


@pytest.fixture
def served(clips_dir):
    """`videoalert run-local --serve` over the six sample clips (upload path), until the test ends."""
    from videoalert_cli.local_run import run_local

    said: list[str] = []
    stop = threading.Event()
    videos = sorted(clips_dir.glob("*.mp4"))
    thread = threading.Thread(target=run_local, args=(videos,), daemon=True,
                              kwargs={"paths": ("upload",), "serve": True, "stop": stop, "report_dir": None,
                                      "say": said.append, "show_record": False})
    thread.start()
    deadline = time.monotonic() + 600
    while not any(line.startswith("review page of cam1: ") for line in said):
        assert thread.is_alive() and time.monotonic() < deadline, "\n".join(said)
        time.sleep(0.5)
    review = next(line for line in said if line.startswith("review page of cam1: ")).split(": ", 1)[1]
    endpoint = re.search(r"moto server at (\S+),", "\n".join(said)).group(1)
    yield review, endpoint, len(videos)
    stop.set()
    thread.join(timeout=60)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=820,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_the_review_page_lists_the_events_and_not_a_person_labels_and_teaches(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from videoalert.store.memory import FpMemory
    from videoalert.store.videos import VideoRecords
    from videoalert_cli import local_env

    review_url, endpoint, clips = served
    # Given the camera's review page
    browser.get(review_url)
    events = browser.find_elements(By.CSS_SELECTOR, "div.event")
    # Then every sample clip's event is listed, the people's alerts with their best frame and score plot
    assert len(events) == clips
    alerts = [e for e in events if e.find_element(By.CSS_SELECTOR, ".decision").text == "ALERT"]
    assert len(alerts) == 2
    assert all(e.find_elements(By.CSS_SELECTOR, "img") and e.find_elements(By.CSS_SELECTOR, "svg.plot")
               for e in alerts)
    first = alerts[0]
    frame = first.find_element(By.CSS_SELECTOR, "img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", frame) > 0
    video_id = first.get_attribute("data-video")
    shots = os.environ.get("VIDEOALERT_SCREENSHOTS")
    if shots:
        save_screenshots(browser, Path(shots), endpoint, video_id, review_url)
        browser.get(review_url)
        first = browser.find_element(By.ID, video_id)

    # When the user taps "not a person" on it
    first.find_element(By.XPATH, ".//button[normalize-space()='Not a person']").click()
    # Then the answer says so (the form posts, so wait for the next page), and the record's label and the
    # camera's memory changed
    answer = WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "result")))
    assert "Marked as not a person" in answer.text
    sess = local_env.session()
    ddb = sess.resource("dynamodb", endpoint_url=endpoint)
    names = local_env.names.local_names()
    record = VideoRecords(ddb.Table(names["videos_table"])).get(video_id)
    assert record is not None and record.label is not None and record.label.value == "false_positive"
    memory = FpMemory(ddb.Table(names["fp_memory_table"])).entries("cam1")
    assert memory and {e.video_id for e in memory} == {video_id}
    # And back on the page, the event shows its label
    browser.find_element(By.LINK_TEXT, "Back to the review page").click()
    event = WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, video_id)))
    assert "labelled false_positive" in event.text


def save_screenshots(browser, folder: Path, endpoint: str, video_id: str, review_url: str) -> None:
    """The review page, and an alert e-mail's text as a phone shows it (the one this clip's alert carried)."""
    from videoalert.app.links import LinkSigner, compose_alert
    from videoalert.aws.s3 import ClipStore
    from videoalert.aws.secrets import SigningKeys
    from videoalert.store.videos import VideoRecords
    from videoalert_cli import local_env

    folder.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(820, 1500)
    browser.save_screenshot(str(folder / "review-page.png"))
    sess, names = local_env.session(), local_env.names.local_names()
    record = VideoRecords(sess.resource("dynamodb", endpoint_url=endpoint).Table(names["videos_table"])).get(video_id)
    base = review_url.split("/review", 1)[0]
    signer = LinkSigner(SigningKeys(sess.client("secretsmanager", endpoint_url=endpoint), names["signing_secret"]),
                        base)
    message = compose_alert(record, clips=ClipStore(sess.client("s3", endpoint_url=endpoint), names["video_bucket"]),
                            signer=signer)
    page = (f"<html><body style='font:15px sans-serif;max-width:400px;margin:12px'><p><b>Subject:</b> "
            f"{html.escape(message.subject)}</p><pre style='white-space:pre-wrap;word-break:break-all;"
            f"font:13px monospace'>{html.escape(message.text)}</pre></body></html>")
    path = folder / "alert-email.html"
    path.write_text(page)
    browser.set_window_size(430, 1100)
    browser.get(path.resolve().as_uri())
    browser.save_screenshot(str(folder / "alert-email.png"))
    path.unlink()
    browser.set_window_size(820, 1400)
