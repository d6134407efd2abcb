"""Browser end-to-end tests of the web console: Debian's Chromium (/usr/bin/chromium) driven by
Playwright's **sync** API against a real `pdca up` (tests/stack_driver.py).

Nothing downloads a browser: Playwright (PyPI) launches ``executable_path`` = /usr/bin/chromium
(``PDCA_CHROMIUM`` to use another). Missing: the tests are skipped, or fail under ``CI=true``.

Fixtures (all tests here are marked ``browser``: ``python3 dev.py test -m browser``):

- ``chromium_path`` → Path of the Chromium executable.
- ``stack`` → ``tests.stack_driver.Stack``: one `pdca up` for the browser tests of a run, on free ports,
  its own PDCA_HOME, PDCA_PUBLIC_URL=http://localhost:<port> (passkeys need the name localhost), the
  walkthrough policy (examples/policy-walkthrough.yaml: minutes, notices at any hour), the contacts of
  examples/actors.yaml, and every notice posted to ``inbox``. ``stack.url("/login")`` is a page;
  ``stack.sign_in_admin()``, ``stack.add_person(...)``, ``stack.import_people()``, ``stack.cli(...,
  as_=...)`` drive it as people. People and cases persist across the tests of a run: use fresh ids.
- ``inbox`` → ``tests.stack_driver.Inbox``: the notices the stack sent (webhook channel);
  ``inbox.wait_for(recipient=..., event_type=..., case_id=..., contains=...).message``.
- ``browser`` → ``playwright.sync_api.Browser`` (one per run of the browser tests).
- ``page_at`` → ``page_at(width=375, *, base_url=None, **context_options) -> Page``: a new context and
  page; 375 (or "phone"): 375×812, is_mobile, has_touch, device scale 2; 1280 (or "desktop"): 1280×900;
  any other width: width×900. Locale zh-CN, time zone Asia/Shanghai. Closed after the test.
- ``virtual_authenticator`` → ``virtual_authenticator(page) -> str`` (a CDP WebAuthn virtual
  authenticator: ctap2, internal, resident keys, user verification; its id); ``cdp_session(page)`` is
  the CDP session it was added with (``WebAuthn.getCredentials`` and the like).
- ``external_requests`` → ``external_requests(page) -> list[str]``: requests to hosts other than
  localhost / 127.0.0.1 that the page made; every one is blocked (and Chromium resolves no other name).
- ``screenshot`` → ``screenshot(page, name, full_page=True, directory=docs/screenshots) -> Path``: <name>.png.

Why sync, and why "one per run" ends early: while a sync Playwright is alive, asyncio believes a loop is
running in the main thread (Playwright sets it between calls), and every pytest-asyncio test would
then fail ("Cannot run the event loop while another loop is running"). So the Playwright instance, the
browser and the stack are started on first use and stopped as soon as the next test is not a browser
test (and at the end of the session): the rest of the suite runs as if they had never been there.
Browser tests are plain ``def`` functions; an ``async def`` here is refused with that reason.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.stack_driver import EXAMPLES, ROOT, Inbox, Stack, start_stack

HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container: no setuid sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No network beyond this machine: any other host name does not resolve (page_at also blocks, and records,
    # requests to other hosts: external_requests(page)).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
ACTION_TIMEOUT_MS = 30_000  # a loaded two-core machine: generous, but not endless
NAVIGATION_TIMEOUT_MS = 60_000


# ----------------------------------------------------------------------------- marks and guards


def _is_browser_test(item: pytest.Item | None) -> bool:
    return item is not None and HERE in Path(str(item.path)).resolve().parents


def pytest_itemcollected(item: pytest.Item) -> None:
    """Every test under tests/browser is marked ``browser`` (called for this directory's items only)."""
    if _is_browser_test(item):
        item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    function = getattr(item, "obj", None)
    if _is_browser_test(item) and function is not None and inspect.iscoroutinefunction(function):
        pytest.fail("browser tests are plain `def` functions: Playwright's sync API cannot run inside the asyncio loop", pytrace=False)


# ----------------------------------------------------------------------------- one run of the browser tests


class _BrowserRun:
    """The stack, the inbox, Playwright and the browser of one uninterrupted run of browser tests."""

    def __init__(self) -> None:
        self.inbox: Inbox | None = None
        self.stack: Stack | None = None
        self.stack_error: str | None = None
        self.playwright: Any = None
        self.browser: Any = None
        self.armed = False

    def arm(self, session: pytest.Session) -> None:
        """Close at the session's teardown, before the fixtures set up earlier: pytest-asyncio's session
        loop, above all, which cannot be closed while Playwright marks its own loop as running."""
        if not self.armed:
            session.addfinalizer(self.close)
            self.armed = True

    def get_stack(self, tmp_path_factory: pytest.TempPathFactory) -> Stack:
        if self.stack_error is not None:
            pytest.fail(f"the stack did not start earlier in this run:\n{self.stack_error}", pytrace=False)
        if self.stack is None:
            self.inbox = Inbox().start()
            try:
                self.stack = start_stack(
                    tmp_path_factory.mktemp("browser-stack") / "home",
                    inbox=self.inbox,
                    actors=EXAMPLES / "actors.yaml",
                    extra_env={"PDCA_POLICY": str(EXAMPLES / "policy-walkthrough.yaml")},
                )
            except AssertionError as error:
                self.stack_error = str(error)
                raise
        return self.stack

    def get_browser(self, executable: Path) -> Any:
        if self.browser is None:
            from playwright.sync_api import expect, sync_playwright

            expect.set_options(timeout=ACTION_TIMEOUT_MS)  # expect(...)'s own default is 5 s

            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        return self.browser

    def close(self) -> None:
        """Stop everything (the next test is not a browser test, or the session ends)."""
        try:
            if self.playwright is not None:
                try:
                    if self.browser is not None:
                        self.browser.close()
                finally:
                    self.playwright.stop()
        finally:
            self.playwright = self.browser = None
            # Playwright leaves its (now closed) loop marked as running in this thread; pytest-asyncio's
            # loop must be able to run afterwards.
            running = asyncio._get_running_loop()
            if running is not None and running.is_closed():
                asyncio._set_running_loop(None)
            if self.stack is not None:
                stack, self.stack = self.stack, None
                stack.stop()
            if self.inbox is not None:
                inbox, self.inbox = self.inbox, None
                inbox.stop()
            self.stack_error = None
            self.armed = False


_RUN = _BrowserRun()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Leaving the browser tests (the next test is another kind): close, after this module's fixtures.
    The session's last test: the session finalizer (``arm``) has closed it before the session loop."""
    try:
        return (yield)
    finally:
        if not _is_browser_test(nextitem):
            _RUN.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _RUN.close()  # after -x / Ctrl-C the last browser test may not have been the last one collected


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (apt-get install chromium), or PDCA_CHROMIUM."""
    path = Path(os.environ.get("PDCA_CHROMIUM") or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"Chromium not found at {path}: apt-get install chromium (Debian), or set PDCA_CHROMIUM"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """The run's `pdca up` (started on first use, ready: the API answers and the admin password exists)."""
    _RUN.arm(request.session)
    return _RUN.get_stack(tmp_path_factory)


@pytest.fixture
def inbox(stack: Stack) -> Inbox:
    """The notices the run's stack sent (every notice, every recipient, through the webhook channel)."""
    assert _RUN.inbox is not None
    return _RUN.inbox


@pytest.fixture
def browser(request: pytest.FixtureRequest, chromium_path: Path) -> Any:
    """Chromium through Playwright's sync API, one for the run of browser tests."""
    _RUN.arm(request.session)
    return _RUN.get_browser(chromium_path)


@pytest.fixture
def page_at(browser: Any) -> Iterator[Callable[..., Any]]:
    """``page_at(width=375, *, base_url=None, **context_options)``: a page in a new context of that width."""
    contexts: list[Any] = []

    def open_page(width: int | str = 375, *, base_url: str | None = None, **options: Any) -> Any:
        if width in (375, "phone"):
            shape = PHONE
        elif width in (1280, "desktop"):
            shape = DESKTOP
        elif isinstance(width, int):
            shape = {"viewport": {"width": width, "height": 900}}
        else:
            raise ValueError(f"page_at: a width in pixels, 'phone' or 'desktop', not {width!r}")
        settings: dict[str, Any] = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", **shape, **options}
        if base_url is not None:
            settings["base_url"] = base_url
        context = browser.new_context(**settings)
        contexts.append(context)
        blocked: list[str] = []
        context.route(lambda url: not _local(url), lambda route: _block(route, blocked))
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        _EXTERNAL[page] = blocked
        return page

    yield open_page
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 (the browser may be gone after a failure; the run closes it anyway)
            pass


# ----------------------------------------------------------------------------- helpers

_CDP: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_EXTERNAL: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc.rsplit(":", 1)[0] in LOCAL_HOSTS


def _block(route: Any, blocked: list[str]) -> None:
    blocked.append(route.request.url)
    route.abort("blockedbyclient")


def external_requests(page: Any) -> list[str]:
    """The URLs on other hosts than this machine that ``page`` (its context) tried to load: all blocked.
    The console is meant to work offline (intranets): a test can assert this stays empty."""
    return list(_EXTERNAL.get(page, []))


def cdp_session(page: Any) -> Any:
    """The page's CDP session (one per page, kept while the page lives)."""
    if page not in _CDP:
        _CDP[page] = page.context.new_cdp_session(page)
    return _CDP[page]


def virtual_authenticator(page: Any) -> str:
    """A platform authenticator (passkeys) for ``page``: CDP ``WebAuthn.enable`` and
    ``WebAuthn.addVirtualAuthenticator``; user presence and verification are automatic. Its id."""
    cdp = cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(added["authenticatorId"])


def screenshot(page: Any, name: str, *, full_page: bool = True, directory: Path = SCREENSHOTS) -> Path:
    """A PNG of ``page`` at docs/screenshots/<name>.png (the directory is created)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture(name="virtual_authenticator")
def virtual_authenticator_fixture() -> Callable[[Any], str]:
    return virtual_authenticator


@pytest.fixture(name="cdp_session")
def cdp_session_fixture() -> Callable[[Any], Any]:
    return cdp_session


@pytest.fixture(name="external_requests")
def external_requests_fixture() -> Callable[[Any], list[str]]:
    return external_requests


@pytest.fixture(name="screenshot")
def screenshot_fixture() -> Callable[..., Path]:
    return screenshot
