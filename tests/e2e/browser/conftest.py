"""One real signalhub per module and engine, and one headless Chromium per module (SPEC §14).

Every test makes its own user and producer (`fresh_user`), so tests share the server without
seeing each other's signals. Skipped, saying why, only where Chromium is not installed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator

import pytest
from selenium import webdriver

from tests.support.browser import (
    ApprovalsPage,
    Hub,
    User,
    chromium_missing,
    new_browser,
    sent_requests,
)
from tests.support.databases import ENGINES, create_pg_database, drop_pg_database
from tests.support.signalhub import Cli, base_env, launch
from tests.support.signals import account, producer

if (why := chromium_missing()) is not None:
    pytest.skip(why, allow_module_level=True)

_names = itertools.count(1)


@pytest.fixture(scope="module", params=ENGINES)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("page")
    if request.param == "sqlite":
        url, drop = f"sqlite:///{workdir}/var/signalhub.sqlite3", None
    else:
        url = drop = asyncio.run(create_pg_database())
    cli = Cli(base_env(url, workdir), workdir)
    server = launch(cli)
    try:
        yield Hub(cli, server)
    finally:
        server.stop()
        if drop is not None:
            asyncio.run(drop_pg_database(drop))


@pytest.fixture
def fresh_user(hub: Hub) -> Callable[[], User]:
    def make() -> User:
        n = next(_names)
        owner = account(hub.cli, f"page-user-{n}")
        return User(owner, producer(hub.cli, owner, f"page-relay-{n}"))

    return make


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: webdriver.Chrome, hub: Hub) -> ApprovalsPage:
    """The page freshly opened, with nothing in session storage and an empty network log."""
    opened = ApprovalsPage(browser, hub.server.url).open()
    browser.execute_script("sessionStorage.clear()")
    opened.open()
    sent_requests(browser)  # what the page sent for an earlier test's token is not this test's
    browser.get_log("browser")
    return opened


@pytest.fixture
def other_browser() -> Iterator[Callable[[], webdriver.Chrome]]:
    """More browsers for one test (each its own session storage), quit after it."""
    started: list[webdriver.Chrome] = []

    def start() -> webdriver.Chrome:
        started.append(new_browser())
        return started[-1]

    yield start
    for driver in started:
        driver.quit()
