"""The search page in a real browser: errors are friendly HTML pages (400, and 503
from a server without an index)."""

from __future__ import annotations

from pathlib import Path

from browser_support import running_server
from page_support import TabFactory, shot
from playwright.sync_api import expect


def test_errors_are_friendly_pages(tabs: TabFactory, tmp_path: Path) -> None:
    tab = tabs()
    page = tab.page
    response = page.goto(tab.base + "/?page=0")
    assert response is not None
    assert response.status == 400
    assert response.header_value("content-type") == "text/html; charset=utf-8"
    expect(page.get_by_role("alert")).to_contain_text("That search could not be run")
    expect(page.locator("h2")).to_have_text("That search could not be run")
    assert not page.locator("body").inner_text().lstrip().startswith("{")
    assert "page" in page.get_by_role("alert").inner_text()
    shot(page, "11-error-400")
    # Chromium reports a document answered with 4xx/5xx on the console; that one is expected.
    assert tab.errors == [
        "console: Failed to load resource: the server responded with a status of 400 "
        f"(Bad Request) ({tab.base}/?page=0)"
    ]
    tab.errors.clear()

    empty = tmp_path / "empty-index"
    empty.mkdir()
    with running_server(empty, tmp_path / "server.log") as unready:
        fresh = tabs(unready.base)
        response = fresh.page.goto(unready.base + "/?q=anything")
        assert response is not None
        assert response.status == 503
        assert response.header_value("content-type") == "text/html; charset=utf-8"
        expect(fresh.page.locator("h2")).to_have_text("The search index is not ready yet")
        expect(fresh.page.get_by_role("alert")).to_contain_text("search rebuild-index")
        assert fresh.page.locator("#q").input_value() == "anything"
        shot(fresh.page, "11-error-503")
        assert fresh.errors == [
            "console: Failed to load resource: the server responded with a status of 503 "
            f"(Service Unavailable) ({unready.base}/?q=anything)"
        ]
        fresh.errors.clear()
