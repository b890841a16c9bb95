"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (used by fixtures)
# would refuse to run beside it without this. The live server runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # This machine has no outside network: keep Chromium from calling home.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def keep_to_live_server(context, live_server):
    """Refuses every request that is not to the live server (basemap tiles, any CDN)."""
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )


@pytest.fixture
def page_factory(browser, live_server):
    """Pages whose requests never leave the live server: basemap tiles are refused, as on a
    phone with no network, and the app must still draw."""
    contexts = []

    def make(viewport=None, locale="zh-CN"):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale=locale)
        keep_to_live_server(context, live_server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
