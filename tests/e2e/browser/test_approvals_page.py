"""The approvals page (SPEC §14) in a real headless Chromium against a real signalhub.

One server per engine for the module (tests/e2e/browser/conftest.py), a user of its own per
test. What the page sent is read from the browser's own network log, not from the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.support.browser import ApprovalsPage, Hub, User, move, send, sent_requests, wait_for
from tests.support.lifecycle import trail

TOKEN_KEY = "signalhub.token"


def test_a_token_shows_the_existing_signals_newest_first_and_stays_in_the_tab(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User]
) -> None:
    user = fresh_user()
    gold = send(hub, user, "XAUUSD", "buy", 1950.25)
    euro = send(hub, user, "eurusd", "sell", 1.0842)
    bitcoin = send(hub, user, "BTCUSDT", "buy", 91250.5)

    page.sign_in(user.account.token)

    wait_for(page.browser, lambda: len(page.row_ids()) == 3, "three rows")
    assert page.row_ids() == [bitcoin, euro, gold]
    time_cell, instrument, side, price, status, fill, pnl, _ = page.cells(euro)
    assert (instrument, side, price, status, fill, pnl) == (
        "EURUSD",
        "SELL",
        "1.0842",
        "new",
        "—",
        "—",
    )
    assert time_cell.startswith("20") and len(time_cell) == len("2026-11-29 01:00:00")
    assert page.browser.execute_script(f"return sessionStorage.getItem('{TOKEN_KEY}')") == (
        user.account.token
    )

    # Kept for the tab: a reload connects again without asking.
    page.browser.refresh()
    page.wait_live()
    wait_for(page.browser, lambda: page.row_ids() == [bitcoin, euro, gold], "rows after reload")

    # The token travelled only in the Authorization header, never in a URL.
    sent = sent_requests(page.browser)
    api = [r for r in sent if "/api/v1/" in r.url]
    assert {r.url.split("?")[0].removeprefix(hub.server.url) for r in api} >= {
        "/api/v1/signals",
        "/api/v1/stream",
    }
    assert all(r.headers.get("authorization") == f"Bearer {user.account.token}" for r in api)
    assert not any(user.account.token in r.url for r in sent)
    assert user.account.token not in page.browser.current_url
    assert user.account.token not in hub.server.logs()

    # Forgetting it clears the storage and the rows.
    page.browser.find_element(By.ID, "disconnect").click()
    assert page.browser.execute_script(f"return sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert page.row_ids() == []

    # A wrong token is refused with a message and not kept.
    page.browser.find_element(By.ID, "token").send_keys("not-a-token\n")
    wait_for(page.browser, lambda: "refused" in page.message(), "the refusal message")
    assert page.browser.execute_script(f"return sessionStorage.getItem('{TOKEN_KEY}')") is None


def test_a_signal_posted_by_a_producer_appears_without_reload(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User]
) -> None:
    user = fresh_user()
    older = send(hub, user, "XAUUSD")
    page.sign_in(user.account.token)
    page.wait_row(older)
    page.browser.execute_script("window.sameDocument = 'yes'")

    sent_at = time.monotonic()
    newer = send(hub, user, "GBPUSD", "sell", 1.2701)
    page.wait_row(newer)
    delay = time.monotonic() - sent_at
    print(f"\n201 -> row on the page: {delay * 1000:.0f} ms")  # SPEC: within 1 s (not asserted)

    assert page.browser.execute_script("return window.sameDocument") == "yes"  # no reload
    assert page.row_ids() == [newer, older]
    assert page.cells(newer)[1:5] == ["GBPUSD", "SELL", "1.2701", "new"]
    assert page.browser.find_element(By.ID, "count").text == "2 signals"

    # A change made elsewhere (the API) updates the row in place.
    move(hub, user, older, {"to": "rejected"})
    page.wait_row(older, "rejected")
    assert page.row_ids() == [newer, older]


def test_approve_changes_the_row_and_the_trail_has_the_event_then_execute_and_close(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User]
) -> None:
    user = fresh_user()
    signal = send(hub, user, "XAUUSD", "buy", 1950.25)
    page.sign_in(user.account.token)
    page.wait_row(signal, "new")
    sent_requests(page.browser)  # forget what was sent so far

    page.act(signal, "approved")
    row = page.wait_row(signal, "approved")

    assert "Approved." in row.text
    assert [b.text for b in row.find_elements(By.TAG_NAME, "button")] == ["Execute", "Cancel"]
    with hub.server.client() as http:
        events = trail(http, user.account, signal)
    assert [(e["type"], e["from"], e["to"]) for e in events] == [
        ("signal.created", None, "new"),
        ("signal.transitioned", "new", "approved"),
    ]
    assert events[-1]["actor"] == f"user:{user.account.user_id}"
    posted = [r for r in sent_requests(page.browser) if r.method == "POST"]
    assert len(posted) == 1 and posted[0].url.endswith(f"/api/v1/signals/{signal}/transitions")
    assert posted[0].headers["if-match"] == '"1"'

    # Execute and close ask for a price; an empty one is refused on the page.
    page.act(signal, "executed", 1955.0)
    page.wait_row(signal, "executed")
    page.row(signal).find_element(By.ID, f"price-{signal}-closed").clear()
    page.button(signal, "closed").click()
    wait_for(page.browser, lambda: "Enter the exit price" in page.row(signal).text, "price hint")
    page.act(signal, "closed", 1965.0)
    page.wait_row(signal, "closed")
    cells = page.cells(signal)
    assert cells[4:7] == ["closed", "1,955.00 → 1,965.00", "+10.00 (+0.51 %)"]
    assert page.row(signal).find_elements(By.TAG_NAME, "button") == []
    note = page.browser.find_element(By.ID, "report-note")
    wait_for(page.browser, lambda: "at least two closed signals" in note.text, "the report's 422")
    with hub.server.client() as http:
        assert [e["to"] for e in trail(http, user.account, signal)] == [
            "new",
            "approved",
            "executed",
            "closed",
        ]


def test_a_second_browser_approving_first_makes_the_first_show_the_conflict(
    page: ApprovalsPage,
    hub: Hub,
    fresh_user: Callable[[], User],
    other_browser: Callable[[], webdriver.Chrome],
) -> None:
    user = fresh_user()
    signal = send(hub, user, "XAUUSD")
    # The first browser's live updates are held back (its stream requests are blocked), so it
    # still shows the signal as new when the second one has approved it: a stale page.
    stale_browser = other_browser()
    stale_browser.execute_cdp_cmd("Network.enable", {})
    stale_browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/stream*"]})
    stale = ApprovalsPage(stale_browser, hub.server.url).open()
    stale_browser.find_element(By.ID, "token").send_keys(user.account.token + "\n")
    stale.wait_row(signal, "new")

    page.sign_in(user.account.token)
    page.act(signal, "approved")
    page.wait_row(signal, "approved")

    stale.act(signal, "approved")
    wait_for(stale_browser, lambda: "changed elsewhere" in stale.message(), "the conflict message")
    assert "it is now approved" in stale.message()
    row = stale.wait_row(signal, "approved")  # the row now shows what the signal is
    assert "changed elsewhere" in row.text
    refused = [r for r in sent_requests(stale_browser) if r.method == "POST"]
    assert [r.headers.get("if-match") for r in refused] == ['"1"']
    with hub.server.client() as http:
        assert [e["to"] for e in trail(http, user.account, signal)] == ["new", "approved"]


def test_rows_in_every_status_offer_exactly_the_legal_transitions(
    page: ApprovalsPage, hub: Hub, fresh_user: Callable[[], User]
) -> None:
    user = fresh_user()
    ids = {
        status: send(hub, user, f"ST{i}{status[:3].upper()}")
        for i, status in enumerate(
            ["new", "approved", "rejected", "cancelled", "executed", "closed"]
        )
    }
    move(hub, user, ids["approved"], {"to": "approved"})
    move(hub, user, ids["rejected"], {"to": "rejected"})
    move(hub, user, ids["cancelled"], {"to": "approved"}, {"to": "cancelled"})
    move(hub, user, ids["executed"], {"to": "approved"}, {"to": "executed", "price": 101})
    move(
        hub,
        user,
        ids["closed"],
        {"to": "approved"},
        {"to": "executed", "price": 100},
        {"to": "closed", "price": 95},
    )
    page.sign_in(user.account.token)
    offered = {
        status: [
            b.text for b in page.wait_row(signal_id, status).find_elements(By.TAG_NAME, "button")
        ]
        for status, signal_id in ids.items()
    }
    assert offered == {
        "new": ["Approve", "Reject", "Cancel"],
        "approved": ["Execute", "Cancel"],
        "rejected": [],
        "cancelled": [],
        "executed": ["Close"],
        "closed": [],
    }
    labels = {
        to: page.row(ids[status]).find_element(
            By.CSS_SELECTOR, f'label[for="price-{ids[status]}-{to}"]'
        )
        for status, to in (("approved", "executed"), ("executed", "closed"))
    }
    assert labels["executed"].text.startswith("Fill price")
    assert labels["closed"].text.startswith("Exit price")
    assert page.cells(ids["closed"])[6] == "\u22125.00 (\u22125.00 %)"  # a real minus sign
