"""Debian's Chromium driven by Selenium, for the approvals page (SPEC §14).

`/usr/bin/chromium` and `/usr/bin/chromedriver` come from the `chromium` and
`chromium-driver` packages (`python3 scripts/dev.py test` installs them when it can). The
driver path is given explicitly, so Selenium Manager never looks for (or downloads) one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.support.lifecycle import transition
from tests.support.signalhub import Cli, Server
from tests.support.signals import Account, Producer, post

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEADLINE_SECONDS = 15.0
T = TypeVar("T")


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return None
    return (
        f"Chromium is not installed ({', '.join(missing)} missing): `python3 scripts/dev.py test` "
        "installs Debian's chromium and chromium-driver when run as root with apt-get, or "
        "install them yourself"
    )


def new_browser(width: int = 1360, height: int = 900) -> webdriver.Chrome:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root (CI containers)
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    # "performance" holds the DevTools network events: what the page really sent (headers).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def wait_for(
    browser: webdriver.Chrome,
    condition: Callable[[], T | None],
    what: str,
    deadline: float = DEADLINE_SECONDS,
) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what`."""
    end = time.monotonic() + deadline
    while True:
        try:
            found = condition()
        except StaleElementReferenceException:
            found = None
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline}s: {what}\n{console(browser)}")
        time.sleep(0.02)


def console(browser: webdriver.Chrome) -> str:
    entries: list[dict[str, Any]] = browser.get_log("browser")
    return "\n".join(f"{e['level']}: {e['message']}" for e in entries)


@dataclass
class Hub:
    """A signalhub server and the CLI on its database."""

    cli: Cli
    server: Server


@dataclass
class User:
    """A user of that server with a producer of their own."""

    account: Account
    producer: Producer


def send(hub: Hub, user: User, instrument: str, side: str = "buy", price: float = 100.0) -> str:
    """A signal posted by the user's producer (SPEC §3); its id."""
    with hub.server.client() as http:
        answer = post(http, user.producer, {"instrument": instrument, "side": side, "price": price})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def move(hub: Hub, user: User, signal_id: str, *steps: dict[str, Any]) -> None:
    """The signal moved through the §9 transitions `steps` over the API."""
    with hub.server.client() as http:
        for body in steps:
            answer = transition(http, user.account, signal_id, body)
            assert answer.status_code == 200, answer.text


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page served from another origin (`http://localhost:<port>/`): a site that frames ours."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]


def sent_requests(browser: webdriver.Chrome) -> list[SentRequest]:
    """Every request the browser sent since the last call (the DevTools performance log)."""
    found = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            request = message["params"]["request"]
            headers = {k.lower(): str(v) for k, v in request.get("headers", {}).items()}
            found.append(SentRequest(request["method"], request["url"], headers))
    return found


class ApprovalsPage:
    """The page as a user sees it: the token field, the rows, their buttons and messages."""

    def __init__(self, browser: webdriver.Chrome, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url

    def open(self) -> ApprovalsPage:
        self.browser.get(self.base_url + "/")
        return self

    def sign_in(self, token: str) -> ApprovalsPage:
        field = self.browser.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token, Keys.ENTER)
        self.wait_live()
        return self

    def wait_live(self) -> None:
        wait_for(
            self.browser,
            lambda: (
                self.browser.find_element(By.ID, "connection").get_attribute("data-state") == "live"
            ),
            "the page's stream is live",
        )

    def row(self, signal_id: str) -> WebElement:
        return self.browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{signal_id}"]')

    def wait_row(self, signal_id: str, status: str | None = None) -> WebElement:
        def found() -> WebElement | None:
            rows = self.browser.find_elements(By.CSS_SELECTOR, f'tr[data-id="{signal_id}"]')
            if rows and (status is None or rows[0].get_attribute("data-status") == status):
                return rows[0]
            return None

        return wait_for(self.browser, found, f"row {signal_id} shows status {status}")

    def row_ids(self) -> list[str]:
        return [
            str(tr.get_attribute("data-id"))
            for tr in self.browser.find_elements(By.CSS_SELECTOR, "#rows tr")
        ]

    def cells(self, signal_id: str) -> list[str]:
        return [td.text for td in self.row(signal_id).find_elements(By.TAG_NAME, "td")]

    def button(self, signal_id: str, to: str) -> WebElement:
        return self.row(signal_id).find_element(By.CSS_SELECTOR, f'button[data-to="{to}"]')

    def act(self, signal_id: str, to: str, price: float | None = None) -> None:
        if price is not None:
            field = self.row(signal_id).find_element(By.ID, f"price-{signal_id}-{to}")
            field.clear()
            field.send_keys(str(price))
        self.button(signal_id, to).click()

    def message(self) -> str:
        return str(self.browser.find_element(By.ID, "message").text)
