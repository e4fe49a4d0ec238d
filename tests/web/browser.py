"""Headless Chromium for the pages with JavaScript: Debian's `chromium` driven by Playwright (no browser download),
and the app served over HTTP from a thread. Tests using these are skipped, with the reason, where either is missing."""
from __future__ import annotations

import contextlib
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} not installed (apt-get install chromium to run this test)")


@contextlib.contextmanager
def serving(app):
    """The app served from a thread on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """The test app over HTTP."""
    with serving(app) as url:
        yield url


@pytest.fixture
def browser():
    """A headless Chromium (Debian's), closed after the test."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium to run this test)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(page, base: str, username: str, then: str) -> None:
    """Log in through the login form (the shared test password), then open `then`."""
    from .helpers import PASSWORD
    page.goto(f"{base}/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}{then}")


def sign_out(page) -> None:
    """Log out with the page's own button."""
    page.click("form[action$='/auth/logout'] button")
    page.wait_for_load_state()
