"""The approvals page (SPEC §14): keyboard-only use, the security headers and what the browser
makes of them, and the page with signals in every status (with the §12 equity report).

Set SIGNALHUB_PAGE_SCREENSHOT=path/to.png to keep the screenshot (docs/approvals-page.png is
made that way).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.browser import (
    ApprovalsPage,
    Hub,
    User,
    another_site,
    console,
    move,
    send,
    wait_for,
)
from tests.support.png import size as png_size

ASSETS = {
    "/": "text/html",
    "/assets/app.js": "text/javascript",
    "/assets/transitions.js": "text/javascript",
    "/assets/rows.js": "text/javascript",
    "/assets/sse.js": "text/javascript",
    "/assets/report.js": "text/javascript",
    "/assets/app.css": "text/css",
    "/assets/favicon.svg": "image/svg+xml",
}
DESCRIBE_FOCUS = """
const a = document.activeElement;
if (!a || a === document.body) return "body";
const tr = a.closest("tr[data-id]");
return (tr ? tr.dataset.id + ":" : "") + (a.id || a.dataset.key || a.tagName.toLowerCase());
"""
FOCUSABLE_CONTROLS = """
return [...document.querySelectorAll("button, input")]
  .filter((e) => e.offsetParent !== null)
  .map((e) => {
    const tr = e.closest("tr[data-id]");
    return (tr ? tr.dataset.id + ":" : "") + (e.id || e.dataset.key);
  });
"""


def press(page: ApprovalsPage, *keys: str) -> str:
    ActionChains(page.browser).send_keys(*keys).perform()
    return str(page.browser.execute_script(DESCRIBE_FOCUS))


def tab_to(page: ApprovalsPage, target: str, limit: int = 60) -> None:
    for _ in range(limit):
        if press(page, Keys.TAB) == target:
            return
    raise AssertionError(f"Tab never reached {target}")


def test_keyboard_alone_signs_in_reaches_every_control_and_moves_a_signal(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User]
) -> None:
    user = fresh_user()
    fresh = send(hub, user, "XAUUSD", "buy", 1950.25)
    approved = send(hub, user, "EURUSD", "sell", 1.08)
    executed = send(hub, user, "BTCUSDT", "buy", 90000)
    move(hub, user, approved, {"to": "approved"})
    move(hub, user, executed, {"to": "approved"}, {"to": "executed", "price": 90010})

    tab_to(page, "token", limit=5)
    press(page, user.account.token, Keys.ENTER)
    page.wait_live()
    page.wait_row(executed, "executed")

    controls = set(page.browser.execute_script(FOCUSABLE_CONTROLS))
    assert {
        "token",
        "connect",
        "disconnect",
        f"{fresh}:do-approved",
        f"{fresh}:do-rejected",
        f"{fresh}:do-cancelled",
        f"{approved}:price-{approved}-executed",
        f"{approved}:do-executed",
        f"{approved}:do-cancelled",
        f"{executed}:price-{executed}-closed",
        f"{executed}:do-closed",
    } == controls
    reached = {press(page, Keys.TAB) for _ in range(len(controls) + 3)}
    assert controls <= reached
    assert page.browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle"
    ) not in ("none", "")

    # Approve with Enter; the focus stays in the row, on the fill price, already filled in.
    tab_to(page, f"{fresh}:do-approved")
    press(page, Keys.ENTER)
    page.wait_row(fresh, "approved")
    assert press(page) == f"{fresh}:price-{fresh}-executed"
    press(page, Keys.ENTER)  # executes at the signal's price
    page.wait_row(fresh, "executed")
    assert press(page) == f"{fresh}:price-{fresh}-closed"
    press(page, "1960.25", Keys.ENTER)
    page.wait_row(fresh, "closed")
    assert page.cells(fresh)[5:7] == ["1,950.25 → 1,960.25", "+10.00 (+0.51 %)"]


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline.append("<script> without src")
        if tag == "style" or "style" in names:
            self.inline.append(f"inline style on <{tag}>")
        self.inline.extend(f"{name} on <{tag}>" for name in names if name.startswith("on"))


def test_the_page_and_its_assets_carry_the_security_headers(hub: Hub) -> None:
    with hub.server.client() as http:
        for path, media_type in ASSETS.items():
            answer = http.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].startswith(media_type), path
            directives = answer.headers["content-security-policy"].split(";")
            policy = {d.strip().partition(" ")[0]: d.strip().partition(" ")[2] for d in directives}
            assert "unsafe-inline" not in answer.headers["content-security-policy"]
            assert "unsafe-eval" not in answer.headers["content-security-policy"]
            assert policy["default-src"] == "'none'"
            assert policy["script-src"] == "'self'"
            assert policy["style-src"] == "'self'"
            assert policy["img-src"] == "'self' blob:"
            assert policy["connect-src"] == "'self'"
            assert policy["frame-ancestors"] == "'none'"
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"
            again = http.get(path, headers={"If-None-Match": answer.headers["etag"]})
            assert again.status_code == 304 and again.content == b""
        markup = _Markup()
        markup.feed(http.get("/").text)
        assert markup.inline == []
        assert http.get("/assets/index.html").status_code == 404
        assert http.get("/assets/nothing.js").status_code == 404
        paths = http.get("/schema/openapi.json").json()["paths"]
        assert not any(p == "/" or p.startswith("/assets") for p in paths)


def test_the_browser_runs_no_inline_script_and_refuses_to_frame_the_page(
    page: ApprovalsPage, hub: Hub
) -> None:
    ran = page.browser.execute_script(
        "const s = document.createElement('script');"
        "s.textContent = 'window.inlineRan = true';"
        "document.body.append(s);"
        "return window.inlineRan === true;"
    )
    assert ran is False
    seen: list[str] = []

    def logged(text: str) -> Callable[[], bool]:
        def found() -> bool:
            seen.extend(e["message"] for e in page.browser.get_log("browser"))
            return any(text in m for m in seen)

        return found

    wait_for(page.browser, logged("inline script violates"), "the inline script reported")

    with another_site(f"<!doctype html><iframe src='{hub.server.url}/'></iframe>") as site:
        page.browser.get(site)
        wait_for(page.browser, logged("frame-ancestors 'none'"), "framing refused")


def test_signals_in_every_status_and_the_equity_report(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User], tmp_path: Path
) -> None:
    user = fresh_user()
    rows = [
        ("XAUUSD", "buy", 1950.25, [{"to": "approved"}, {"to": "executed", "price": 1951.0}]),
        ("EURUSD", "sell", 1.0842, []),
        ("BTCUSDT", "buy", 91250.5, [{"to": "approved"}]),
        ("GBPUSD", "buy", 1.2705, [{"to": "rejected", "note": "spread too wide"}]),
        ("USDJPY", "sell", 155.32, [{"to": "approved"}, {"to": "cancelled"}]),
        ("ETHUSDT", "buy", 3050.0, [{"to": "approved"}, {"to": "executed", "price": 3048.5},
                                    {"to": "closed", "price": 3190.0}]),
        ("US500", "sell", 6020.5, [{"to": "approved"}, {"to": "executed", "price": 6021.0},
                                   {"to": "closed", "price": 6060.0}]),
        ("DE40", "buy", 19850.0, [{"to": "approved"}, {"to": "executed", "price": 19852.0},
                                  {"to": "closed", "price": 20110.0}]),
    ]  # fmt: skip
    ids = []
    for instrument, side, price, steps in reversed(rows):
        ids.append(send(hub, user, instrument, side, price))
        move(hub, user, ids[-1], *steps)
    page.browser.set_window_size(1360, 1500)
    page.sign_in(user.account.token)
    statuses = [
        page.wait_row(signal_id).get_attribute("data-status") for signal_id in reversed(ids)
    ]
    assert statuses == [
        "executed", "new", "approved", "rejected", "cancelled", "closed", "closed", "closed",
    ]  # fmt: skip

    report = wait_for(
        page.browser,
        lambda: page.browser.execute_script(
            "const i = document.getElementById('report');"
            "return !i.hidden && i.complete && i.naturalWidth > 0 ? [i.src, i.naturalWidth] : null"
        ),
        "the equity report is shown",
    )
    assert report[0].startswith("blob:") and report[1] == 1200
    assert "3 closed signals" in page.browser.find_element(By.ID, "report-note").text
    assert "Content Security Policy" not in console(page.browser)

    shot = tmp_path / "approvals-page.png"
    page.browser.execute_script("window.scrollTo(0, 0); document.activeElement.blur()")
    page.browser.save_screenshot(str(shot))
    viewport = page.browser.execute_script("return [innerWidth, innerHeight]")
    assert list(png_size(shot.read_bytes())) == viewport
    if keep := os.environ.get("SIGNALHUB_PAGE_SCREENSHOT"):
        shutil.copyfile(shot, keep)


def test_the_pages_sse_parser_takes_line_ends_split_across_chunks(page: ApprovalsPage) -> None:
    """sse.js as the browser loads it, fed chunks cut in awkward places (SPEC §10 framing)."""
    messages = page.browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        import("/assets/sse.js").then(({ SseParser }) => {
          const got = [];
          const parser = new SseParser((m) => got.push(m));
          for (const chunk of [
            "id: 7\\r", "\\nevent: signal.created\\r\\ndata: {\\"a\\"", ":1}\\r\\n\\r", "\\n",
            ": ping\\r\\n\\r\\n", "data: x\\ndata: y\\n\\n", "id: 8\\revent: e\\rdata: z\\r\\r", ": held until the next chunk says the \\r ends a line\\n",
          ]) parser.push(chunk);
          done(got);
        });
        """
    )
    assert messages == [
        {"id": "7", "event": "signal.created", "data": '{"a":1}'},
        {"id": "7", "event": "message", "data": "x\ny"},
        {"id": "8", "event": "e", "data": "z"},
    ]
