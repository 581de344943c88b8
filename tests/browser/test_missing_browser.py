"""Without Chromium the browser tests skip with one sentence, except under CI, where that is a failure."""

import browser_support
import pytest


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "SYSTEM_CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(browser_support.shutil, "which", lambda name: None)
    assert browser_support.chromium_path() is None


def test_missing_chromium_skips_outside_ci(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        browser_support.require_chromium()


def test_missing_chromium_fails_in_ci(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed.*CI=true"):
        browser_support.require_chromium()


def test_chromium_found_here_is_the_system_one():
    if browser_support.chromium_path() is None:
        pytest.skip("Chromium is not installed here")
    assert str(browser_support.chromium_path()).startswith("/usr/"), "Playwright must not bring a browser of its own"
