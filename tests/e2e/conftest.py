"""Browser tests: Debian's Chromium driven by Playwright against the live Django server.

No browser is ever downloaded: the tests use the system's Chromium
(``/usr/bin/chromium``, or ``$SOCLE_CHROMIUM``) and are skipped when it is missing.
A journey opens its pages with the ``audit`` fixture, which checks each page loaded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from .accessibility import PageAudit

CHROMIUM = os.environ.get("SOCLE_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed as root, in containers
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent


def _chromium_missing() -> str:
    path = CHROMIUM if os.path.sep in CHROMIUM else (shutil.which(CHROMIUM) or CHROMIUM)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return ""
    return (f"Chromium est introuvable ({CHROMIUM}) : tests dans le navigateur ignorés. "
            "Installez-le (sudo apt-get install chromium) ou indiquez son chemin dans "
            "SOCLE_CHROMIUM.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _chromium_missing()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing:
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="module")
def _orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API keeps an asyncio loop in the test thread, and Django then
    # refuses ORM calls from that thread (SynchronousOnlyOperation); they are in fact
    # synchronous. Only while browser tests run: subprocesses of other tests (check
    # --deploy) would inherit the variable and warn about it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Per module, not per session: a Playwright left running would stop any later test
# in the session from starting its own.
@pytest.fixture(scope="module")
def browser(_orm_beside_playwright: None) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def audit(browser: Browser, live_server: LiveServer,
          request: pytest.FixtureRequest) -> Iterator[PageAudit]:
    """Pages opened on the live server; each page they load must be checked."""
    checker = PageAudit(browser, live_server.url, settings.PLATFORM_NAME, request.node.name)
    yield checker
    unchecked = checker.close()
    assert not unchecked, f"Pages chargées sans contrôle d'accessibilité : {unchecked}"
