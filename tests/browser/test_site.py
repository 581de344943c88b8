"""The course site, built by scripts/build_site.py from one notebook, shows its index grouped by module and the
page with its plots, its bar and its notebook's link."""

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
REPOSITORY = "https://github.com/example/dl-course"  # the links are only read, never followed (offline)
SOURCE = f"{REPOSITORY}/blob/main/notebooks/01_keras/{NOTEBOOK}.ipynb"


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
        [
            sys.executable,
            "scripts/build_site.py",
            "--only",
            NOTEBOOK,
            "--out",
            str(site),
            "--repository",
            REPOSITORY,
            "--ref",
            "main",
        ],
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
    # The index groups the pages by module, each under its line of the README's agenda.
    modules = page.get_by_role("heading", level=2).all_inner_texts()
    assert modules[0] == "00 Introduction" and "09 Object detection" in modules and modules[-1] == "Appendix"
    keras = page.locator("section.module", has=page.get_by_role("heading", name="01 Keras", exact=True))
    assert "Linear regression baseline" in keras.locator("p").first.inner_text(), "the agenda's line for 01 Keras"
    link = keras.get_by_role("link", name=NOTEBOOK, exact=True)
    assert link.get_attribute("href") == PAGE
    row = keras.get_by_role("row").filter(has=page.get_by_role("link", name=NOTEBOOK, exact=True))
    assert "ok" in row.inner_text() and "small" in row.inner_text(), "the page ran to the end with small data"
    assert row.get_by_role("link", name="notebook", exact=True).get_attribute("href") == SOURCE
    screenshot(page, "site-index")

    # Every link of the index within the site leads somewhere that exists (GitHub's are not followed offline).
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(link => link.href)")
    local = [href for href in hrefs if href.startswith(site_url)]
    assert local, "the index links its pages"
    broken = [href for href in local if page.request.get(href).status != 200]
    assert not broken, f"links of the index that lead nowhere: {broken}"

    # The filter box keeps the pages whose name or headings hold every word typed, and hides empty modules.
    page.get_by_role("searchbox").fill("baseline")
    assert row.is_visible() and keras.is_visible()
    assert page.locator("section.module:visible").count() == 1, "only 01 Keras has a page about a baseline"
    page.get_by_role("searchbox").fill("")
    assert page.locator("section.module:visible").count() == len(modules)

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

    # The page's bar: its notebook on GitHub, and the way back to the index.
    bar = page.locator("nav.course-nav").first
    assert bar.get_by_role("link", name="notebook on GitHub").get_attribute("href") == SOURCE
    assert page.locator("nav.course-nav").count() == 2, "the bar at the top and at the bottom of the page"
    bar.scroll_into_view_if_needed()
    screenshot(page, "site-01.1-bar")
    with page.expect_navigation(wait_until="domcontentloaded"):
        bar.get_by_role("link", name="Course index").click()
    assert page.url == f"{site_url}/index.html"
