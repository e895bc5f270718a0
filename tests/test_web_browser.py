"""The planner's page in a real browser: Debian's chromium (installed by .ci/run) driven by
Playwright, against a real ``clause-sim serve`` process on 127.0.0.1.

Open the page, change the dwellings and see the hours follow (checked against a hand
computation), run 4 replications, follow the progress to the results page, see a figure and
the binding-constraint sentence, download a table, switch to English. No console message of
type error or warning, no uncaught exception, and no request to anything but the server.

With ``CLAUSE_SIM_SCREENSHOTS=1`` the screenshots of the README are written to
``examples/screenshots/``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest
from webserver import ROOT, running

from sim.scenario import load

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("/usr/bin/chromium") or shutil.which("chromium")
MISSING = [
    what
    for what, ok in (
        ("chromium (apt-get install chromium)", CHROMIUM is not None),
        ("playwright (pip install playwright)", importlib.util.find_spec("playwright")),
        ("clause-sim[app]", importlib.util.find_spec("starlette")),
    )
    if not ok
]
if MISSING:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {', '.join(MISSING)} is missing", pytrace=False)
    pytest.skip(f"needs {', '.join(MISSING)}", allow_module_level=True)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
SHOTS = ROOT / "examples" / "screenshots"


def _shoot(page, name: str, tmp: Path) -> None:
    path = tmp / name
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path))
    if os.environ.get("CLAUSE_SIM_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / name)


def _hours(page) -> str:
    return str(page.inner_text("#hours-total"))


def _wait_hours(page, hours: int) -> None:
    page.wait_for_function(
        "() => document.querySelector('#hours-total').textContent.replace(/\\D/g, '')"
        f" === '{hours}'"
    )


def test_planner_page_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    with running(tmp_path / "data") as server, sync_playwright() as pw:
        origin = f"http://127.0.0.1:{server.port}"
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 1200, "height": 860}, accept_downloads=True
            )
            page = context.new_page()
            console: list[str] = []
            outside: list[str] = []
            page.on(
                "console",
                lambda m: (
                    console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))

            def guard(route) -> None:
                url = route.request.url
                if url.startswith(origin + "/") or url.startswith(("data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            context.route("**/*", guard)

            # --- the form: hours at once
            page.goto(origin + "/")
            assert page.get_attribute("html", "lang") == "fr"
            page.wait_for_function(
                "() => document.querySelector('#hours-total').textContent.includes('h')"
            )
            # the fiche: 23,000 dwellings x 57 h (80,000 x 40 % x 5 % / 28 = 57.14, floored)
            assert re.sub(r"\D", "", _hours(page)) == str(23_000 * 57)
            page.fill('[data-key="works[0].dwellings"]', "11500")
            page.wait_for_function(
                "() => document.querySelector('#hours-total').textContent.replace(/\\D/g, '')"
                f" === '{11_500 * 57}'"
            )
            # any other key, one a line as with --set (80,000 x 20 % x 5 % / 28 = 28.57 -> 28 h)
            page.click("#group-advanced summary")
            page.fill("#extra-set", "# a comment\nworks[0].labour_share = 0.2")
            _wait_hours(page, 11_500 * 28)
            page.fill("#extra-set", "")
            _wait_hours(page, 11_500 * 57)
            page.fill('[data-key="scenario.horizon_years"]', "3")
            page.wait_for_function(
                "() => document.querySelectorAll('#hours-years tbody tr').length === 3"
            )
            assert re.sub(r"\D", "", _hours(page)) == str(11_500 * 57)
            # a bad value is shown beside its field, in French
            page.fill('[data-key="clause.insertion_rate"]', "7")
            error = page.locator('[data-error-for="clause.insertion_rate"]')
            error.wait_for(state="visible")
            said = error.inner_text()
            assert said == (
                "erbm-fiche-2023.toml, clé clause.insertion_rate : "
                "doit être une part entre 0 et 1 ; reçu : 7"
            ), said
            page.fill('[data-key="clause.insertion_rate"]', "0.05")
            error.wait_for(state="hidden")
            page.fill("#replications", "4")
            _shoot(page, "form.png", tmp_path)

            # --- run: progress, then the results page
            page.click("#simulate")
            page.wait_for_url(re.compile(r".*/runs/[A-Za-z0-9_-]+$"))
            page.wait_for_selector("#progress-panel, #results")
            saw_progress = page.locator("#progress-panel").count() == 1
            page.wait_for_selector("#results", timeout=120_000)
            assert saw_progress, "the progress bar was never shown"
            run_id = page.url.rsplit("/", 1)[1]
            status, summary = server.json("GET", f"/api/runs/{run_id}/files/summary.json")
            assert status == 200 and summary["replications"] == 4
            sentence = summary["bottleneck"]["sentence_fr"]
            assert sentence and page.inner_text("#constraint").strip() == sentence.strip()
            img = page.locator("#figures img").first
            img.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('#figures img'))"
                ".every(i => i.complete && i.naturalWidth > 0)"
            )
            assert page.locator("#figures img").count() >= 4
            _shoot(page, "results.png", tmp_path)

            # --- downloads: the workbook if the run has one, else the yearly CSV
            name = "results.xlsx" if page.locator('a[data-file="results.xlsx"]').count() else None
            name = name or "yearly.csv"
            with page.expect_download() as info:
                page.click(f'a[data-file="{name}"]')
            data = Path(info.value.path()).read_bytes()
            if name.endswith(".xlsx"):
                assert data[:2] == b"PK"
            else:
                head, *rows = data.decode("utf-8").splitlines()
                assert head.startswith("year,") and len(rows) >= 3

            # --- English
            page.click("#lang-switch")
            page.wait_for_selector("html[lang=en]")
            assert "Key figures" in page.inner_text("#key-figures")
            page.goto(origin + "/")
            assert page.get_attribute("html", "lang") == "en"
            assert "New simulation" in page.inner_text("h1")
            assert page.locator("#runs-table tbody tr").count() == 1
            page.wait_for_function(
                "() => document.querySelector('#hours-total').textContent.includes('h')"
            )
            page.fill('[data-key="clause.insertion_rate"]', "7")
            error = page.locator('[data-error-for="clause.insertion_rate"]')
            error.wait_for(state="visible")
            said = error.inner_text()
            assert said.startswith("erbm-fiche-2023.toml: clause.insertion_rate: "), said
            page.fill('[data-key="clause.insertion_rate"]', "0.05")
            error.wait_for(state="hidden")

            # --- an uploaded scenario fills the form (values and sources)
            text = load(None, ["works[0].dwellings=4000", "scenario.horizon_years=4"]).to_toml()
            text = text.replace("dwellings = 4000", "dwellings = 4000  # our own count", 1)
            assert "# our own count" in text
            page.set_input_files(
                "#upload",
                files=[{"name": "mine.toml", "mimeType": "text/plain", "buffer": text.encode()}],
            )
            dwellings = page.locator('[data-key="works[0].dwellings"]')
            page.wait_for_function(
                "() => document.querySelector('[data-key=\"works[0].dwellings\"]').value === '4000'"
            )
            assert page.input_value('[data-key="scenario.horizon_years"]') == "4"
            note = dwellings.locator("xpath=..").locator("small.source")
            assert note.inner_text() == "Source: our own count"
            _wait_hours(page, 4000 * 57)  # the file's dwellings x 57 h
        finally:
            browser.close()
    assert console == [], console
    assert outside == [], outside
