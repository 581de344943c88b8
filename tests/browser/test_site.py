"""The course site, built by scripts/build_site.py from one notebook, shows its index and the page with its plots."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browser_support import ROOT, screenshot

from includes import settings

NOTEBOOK = "01.1_linear_regression"  # quick with small data, and it draws two plots
PAGE = f"01_keras/{NOTEBOOK}.html"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site_url(tmp_path):
    """A tiny site (one page and the index) built the way `make site SMALL=1` builds it, served on 127.0.0.1."""
    site = tmp_path / "site"
    env = {
        **os.environ,
        settings.SMALL_ENV: "1",
        settings.TEST_RUN_ENV: "1",
        settings.HOME_ENV: os.environ.get(settings.HOME_ENV) or str(settings.TEST_HOME),
    }
    build = subprocess.run(
        [sys.executable, "scripts/build_site.py", "--only", NOTEBOOK, "--out", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, f"build_site.py failed:\n{build.stdout[-2000:]}\n{build.stderr[-2000:]}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_site_index_and_page_render_with_images(site_url, page):
    page.goto(f"{site_url}/index.html")
    link = page.get_by_role("link", name=NOTEBOOK, exact=True)
    assert link.get_attribute("href") == PAGE
    row = page.get_by_role("row").filter(has=link)
    assert "ok" in row.inner_text() and "small" in row.inner_text(), "the page ran to the end with small data"
    screenshot(page, "site-index")

    # Every link of the index leads somewhere that exists.
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(link => link.href)")
    broken = [href for href in hrefs if page.request.get(href).status != 200]
    assert not broken, f"links of the index that lead nowhere: {broken}"

    # nbconvert's page loads its math renderer from the web, which a closed network never answers: waiting for
    # the DOM (the plots are embedded in it) is enough.
    with page.expect_navigation(wait_until="domcontentloaded"):
        link.click()
    assert page.url == f"{site_url}/{PAGE}"
    page.get_by_text("Baseline to beat").first.wait_for()
    images = page.locator(".jp-OutputArea-output img")
    assert images.count() >= 2, "01.1's map and prediction plots should be on its page"
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    widths = images.evaluate_all("images => images.map(image => image.naturalWidth)")
    assert all(width > 0 for width in widths), f"images that did not render (natural widths {widths})"
    assert "Traceback" not in page.locator("body").inner_text()
    images.first.scroll_into_view_if_needed()
    screenshot(page, "site-01.1-page")
