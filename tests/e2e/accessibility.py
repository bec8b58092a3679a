"""What every page a browser test visits must pass: axe-core (RGAA / WCAG 2.1 AA) and the basics.

``PageAudit`` follows the pages of a test and fails it if one of them was loaded
and never checked, so a new journey step cannot skip the accessibility scan.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Route

# WCAG 2.0 and 2.1, levels A and AA (what RGAA 4.1 transposes), plus axe's best practices.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
AXE = Axe()


@dataclass
class _Followed:
    page: Page
    javascript: bool
    pending: str | None = None
    missed: list[str] = field(default_factory=list)

    def loaded(self) -> None:
        if self.pending is not None:
            self.missed.append(self.pending)
        self.pending = self.page.url


class PageAudit:
    """Open pages in Chromium and check each page they load."""

    def __init__(self, browser: Browser, base_url: str, platform_name: str, test_name: str):
        self.browser = browser
        self.base_url = base_url
        self.platform_name = platform_name
        self.test_name = re.sub(r"[^\w-]+", "_", test_name)
        self.contexts: list[BrowserContext] = []
        self.followed: dict[int, _Followed] = {}
        self._replay: Page | None = None
        self._shots = 0

    def open(self, *, javascript: bool = True) -> Page:
        """Return a new page in its own context (own cookies), with or without JavaScript."""
        context = self.browser.new_context(
            base_url=self.base_url, java_script_enabled=javascript, locale="fr-FR",
            viewport={"width": 1280, "height": 900},
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        followed = _Followed(page=page, javascript=javascript)
        page.on("domcontentloaded", lambda _page: followed.loaded())
        self.followed[id(page)] = followed
        return page

    def check(self, page: Page, *, title: str, h1: str | None = None) -> None:
        """Assert the page's title, language and single h1, then that axe finds no violation."""
        self._loaded(page)
        # Pages are named after the organisation whose services they are (issue #12), never
        # after the software: "Mes demandes — Services en ligne de l'Agglomération …".
        shown = page.title()
        assert shown.startswith(f"{title} — Services en ligne d"), shown
        assert page.locator("html").get_attribute("lang") == "fr"
        headings = page.locator("h1")
        assert headings.count() == 1, f"{page.url} : {headings.count()} titres h1"
        if h1 is not None:
            assert headings.inner_text().strip() == h1
        self.assert_accessible(page)

    def assert_accessible(self, page: Page) -> None:
        """Run axe-core on the page as loaded; fail with its report on any violation."""
        self._loaded(page)
        followed = self.followed[id(page)]
        audited = page if followed.javascript else self._replayed(page)
        results = AXE.run(audited, options=AXE_OPTIONS)
        followed.pending = None
        self._screenshot(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    def check_in_place(self, page: Page) -> None:
        """After a script changed the page in place (no navigation): axe on the page as it is."""
        assert self.followed[id(page)].javascript, "sans JavaScript, rien ne change sur place"
        results = AXE.run(page, options=AXE_OPTIONS)
        self._screenshot(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    def _loaded(self, page: Page) -> None:
        """Wait for the document a click or a form started, not the one it leaves."""
        if self.followed[id(page)].pending is None:
            page.wait_for_event("domcontentloaded")
        page.wait_for_load_state("load")

    def _replayed(self, page: Page) -> Page:
        """Load the markup a page received without JavaScript into a page that can run axe.

        axe is JavaScript: it cannot run where scripts are off, so the audit runs on the
        same HTML, served at the same address (the stylesheet loads as it did).
        """
        if self._replay is None:
            self._replay = self.open(javascript=True)
        replay = self._replay
        url, html = page.url, page.content()

        def serve(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        replay.route(lambda candidate: candidate == url, serve, times=1)
        replay.goto(url)
        return replay

    def _screenshot(self, page: Page) -> None:
        # For a person to look at the layout: SOCLE_E2E_SCREENSHOTS=/some/dir
        directory = os.environ.get("SOCLE_E2E_SCREENSHOTS")
        if not directory or not self.followed[id(page)].javascript:
            return
        self._shots += 1
        path = Path(directory) / f"{self.test_name}-{self._shots:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)

    def close(self) -> list[str]:
        """Close every context; return the pages that were loaded but never checked."""
        unchecked: list[str] = []
        for followed in self.followed.values():
            if followed.page is self._replay:
                continue
            unchecked += followed.missed
            if followed.pending is not None:
                unchecked.append(followed.pending)
        for context in self.contexts:
            context.close()
        return unchecked
