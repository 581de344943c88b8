"""Fixtures of the real-browser tests: a fresh headless Chromium page, and servers stopped after each test.

See browser_support.py for what they share; without Chromium or Playwright each test skips with one sentence
(scripts/install_browser.sh installs Chromium where the machine allows it), and fails instead under CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, SCREENSHOTS, VIEWPORT, Server, require_chromium, screenshot


@pytest.fixture(scope="session")
def chromium() -> Path:
    return require_chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed  # the page fixture then keeps a screenshot of the failure
    return report


@pytest.fixture
def page(chromium, tmp_path, request):
    """A page of a fresh headless Chromium (its own profile folder), closed after the test.

    When the test fails, what the page showed is kept as build/screenshots/<test>-failed.png.
    """
    from playwright.sync_api import sync_playwright

    (SCREENSHOTS / f"{request.node.name}-failed.png").unlink(missing_ok=True)  # from an earlier failure
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            context.set_default_timeout(30_000)
            page = context.pages[0] if context.pages else context.new_page()
            yield page
            if getattr(request.node, "call_failed", False):
                screenshot(page, f"{request.node.name}-failed")
        finally:
            context.close()


@pytest.fixture
def start_server():
    """start_server(command, cwd, env, log) -> Server; every server started is stopped after the test."""
    servers: list[Server] = []

    def start(command, cwd, env, log) -> Server:
        server = Server([str(part) for part in command], cwd, env, log)
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()
