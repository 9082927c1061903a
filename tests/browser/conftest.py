"""Playwright driving the distribution's Chromium against pytest-django's live server.

Never `playwright install`: the browser is /usr/bin/chromium (CHROMIUM_PATH overrides it).
Screenshots go to each test's temporary directory, and to docs/screenshots/ (the README's) only
with UPDATE_SCREENSHOTS=1 (`make screenshots`), so a test run leaves the checkout clean.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server and the fixtures use
# the ORM from the same thread, which Django refuses unless told it is fine (it is: no async code
# of ours runs here).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Console:
    """A browser tab on the console, logged in as one user, that fails on CSP violations."""

    def __init__(self, browser, base_url: str, tmp_path: Path):
        self.base_url = base_url
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 860}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on(
            "response",
            lambda r: r.status >= 500 and self.problems.append(f"HTTP {r.status} {r.url}"),
        )
        self.page.on("requestfailed", self._request_failed)
        self.tmp_path = tmp_path
        self.expected_statuses: set[int] = set()

    def expect_status(self, status: int) -> None:
        """A page the test means to get with this 4xx status (a form sent back with an error):
        the browser logs it as a failed resource, which is not a console failure then."""
        self.expected_statuses.add(status)

    def _request_failed(self, request) -> None:
        # ERR_ABORTED is the browser cancelling a request because the page navigated on (the
        # favicon of a page the test has already left): not a failure of the console.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _console(self, message):
        text = message.text
        if any(f"status of {status} " in text for status in self.expected_statuses):
            return
        if message.type == "error" or "Content Security Policy" in text:
            text = f"{text} ({message.location.get('url', '')})"
            self.problems.append(text)

    def login(self, user) -> None:
        self.page.goto(f"{self.base_url}/login/")
        self.page.get_by_label("User name").fill(user.username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(f"{self.base_url}/")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def screenshot(self, name: str) -> Path:
        """A full-page PNG of the tab; the README's copy only with UPDATE_SCREENSHOTS=1."""
        folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else self.tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser, live_server, tmp_path):
    tab = Console(browser, live_server.url, tmp_path)
    yield tab
    problems = list(tab.problems)
    tab.close()
    assert not problems, f"browser console errors (CSP?): {problems}"


@pytest.fixture
def uploads(settings, tmp_path):
    """Uploads and error files in a temporary directory, shared with the workers."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return {"CITRUSADMIN_VAR_DIR": str(tmp_path)}


@pytest.fixture(autouse=True)
def fresh_cache():
    """The dashboard caches its confirmed counts; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
