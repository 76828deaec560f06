"""Headless Chromium from the system (Debian's `chromium`), driven by playwright-python.

No browser is downloaded: the tests skip, saying why, when /usr/bin/chromium or playwright is
missing. Screenshots and timings go to test-artifacts/views/ (gitignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("EGOVKG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "views"


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine without a browser; in CI (CI=true) a missing browser fails."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(
            f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium fonts-noto-cjk); "
            "these tests never download a browser"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed")
    pw = sync_api.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as exc:  # a broken system browser is a skip with its reason, not an error
        pw.stop()
        _unavailable(f"cannot start {CHROMIUM}: {exc}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Opened:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.page.context.close()


@pytest.fixture
def open_page(browser) -> Iterator[Any]:
    opened: list[Opened] = []

    def _open(path: Path, *, width: int = 1400, height: int = 900) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        o = Opened(page)
        page.on("console", lambda m: o.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: o.errors.append(f"pageerror: {e}"))

        def on_dialog(d: Any) -> None:
            o.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        local = ("file:", "data:", "about:")
        page.on("request", lambda r: None if r.url.startswith(local) else o.requests.append(r.url))

        def block(route: Any) -> None:  # nothing leaves the machine, whatever a page asks for
            o.requests.append(route.request.url)
            route.abort()

        context.route("http://**/*", block)
        context.route("https://**/*", block)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector('body[data-drawn="1"]', state="attached", timeout=60_000)
        opened.append(o)
        return o

    yield _open
    for o in opened:
        o.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives Chromium: marked ``browser``, so `pytest -m "not browser"`
    leaves them out without each module having to say so."""
    here = Path(__file__).resolve().parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)
