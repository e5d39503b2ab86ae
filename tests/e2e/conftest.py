"""End-to-end tests in headless Chromium (Playwright, the system's /usr/bin/chromium)
against pytest-django's live server on the configured database (PostgreSQL in CI).

Playwright's sync API runs an event loop in the test's thread, which makes Django
refuse database calls there unless told that it is safe (the test does not share
the connection with the loop)."""

import io
import os
import shutil
import time

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=zh-CN"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
# Inside grid G11 of the test tree (tests/conftest.py).
G11_POSITION = {"latitude": 27.705, "longitude": 112.005}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_context(browser, live_server):
    """A fresh browser context (its own cookies and storage) at phone or desktop size."""
    contexts = []

    def make(size=DESKTOP, *, geolocation=None):
        options = {"viewport": size, "locale": "zh-CN", "base_url": live_server.url, "has_touch": size is PHONE,
                   "is_mobile": size is PHONE}
        if geolocation:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def login(context, username, password="pass-12345"):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def photo_file(name="photo.png", colour=(200, 40, 40)):
    """A real PNG photo for <input type=file>."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}


def wait_until(page, expression: str, *, timeout: float = 10_000):
    """Poll a JavaScript expression (a promise is awaited) until it is truthy; its value.
    Playwright's ``wait_for_function`` runs its predicate through ``eval()``, which the
    Content Security Policy forbids on every page; ``page.evaluate`` goes through the
    DevTools protocol and is not affected."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = page.evaluate(expression)
        except Error as error:  # a navigation replaced the page under the evaluation
            if "context was destroyed" not in str(error):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} ms waiting for {expression}")
        page.wait_for_timeout(100)
