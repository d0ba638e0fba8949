"""Real-browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every page a test visits is checked with axe-core (``check_a11y``); screenshots of the key pages
are written to ``docs/screenshots/`` on each run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import DESKTOP, E2E_DIR, Demo

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to be called from
# a thread with a running loop unless told that it is safe (it is: nothing here is async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser: mark it ``e2e`` (``-m "not e2e"`` skips)."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# --- Browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # The app's CSP (script-src 'self') would block the injected axe-core script.
    return {
        **browser_context_args,
        "bypass_csp": True,
        "locale": "en-US",
        "timezone_id": "UTC",
        "viewport": DESKTOP,
    }


# --- Django ----------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def e2e_settings() -> Iterator[None]:
    """No redirect to HTTPS while the browser tests run: ``live_server`` speaks plain HTTP.

    ``tests/conftest.py`` turns this off for each test, but that is too late for the live
    server: Django's SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server thread
    builds its middleware, which happens before any test's own fixtures run. (The other
    plain-HTTP settings are read on each request, so ``tests/conftest.py`` covers them.)
    """
    from django.test import override_settings

    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture(scope="package")
def live_server(request: pytest.FixtureRequest, e2e_settings: None) -> Iterator[LiveServer]:
    """pytest-django's live server, but started once ``e2e_settings`` is in force and
    stopped with it when this folder is done, so that nothing leaks into other tests.
    (pytest-django's autouse ``_live_server_helper`` picks this fixture for every test here.)
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture
def demo(live_server) -> Demo:
    from backbone.demo.loader import DEMO_PASSWORD, SLUG, load_demo

    load_demo()
    return Demo(base_url=live_server.url, slug=SLUG, password=DEMO_PASSWORD)


@pytest.fixture
def new_page(browser: Browser, browser_context_args: dict) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts (separate cookies), e.g. a second person or a phone."""
    contexts: list[BrowserContext] = []

    def make(**overrides: object) -> Page:
        context = browser.new_context(**{**browser_context_args, **overrides})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def full_demo(demo: Demo) -> Demo:
    """The whole demo initiative as ``make demo`` loads it: partners and logins, the HUD counts,
    the sample partner performance data (with its open 2025 round) and the results framework."""
    from backbone.core.models import Initiative
    from backbone.demo.agenda import load_agenda
    from backbone.demo.hud import load_hud
    from backbone.demo.performance import load_performance

    initiative = Initiative.objects.get(slug=demo.slug)
    load_hud(initiative)
    load_performance(initiative)
    load_agenda(initiative)
    return demo
