"""The report in a real headless browser (Debian's chromium, installed by .ci/run).

It must render, show every figure, log no console message, make no network request, and show
a scenario name holding ``<script>`` as text. Network requests are read from chromium's net log
(``--log-net-log``): requests made by the page carry a ``file://`` network isolation key, which
separates them from the browser's own background traffic. A control page that does log to the
console and does request a URL checks that both detections work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sim.presentation import plots

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI is set but chromium is not installed (.ci/run installs it)", pytrace=False)
    pytest.skip(
        "chromium is not installed (apt-get install chromium); CI installs it",
        allow_module_level=True,
    )

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium once with a fresh profile; stdout/stderr captured."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def page_requests(netlog: Path) -> list[str]:
    """URLs requested by the page (not by the browser itself) according to the net log."""
    data = json.loads(netlog.read_text(encoding="utf-8", errors="replace") or "{}")
    types = data.get("constants", {}).get("logEventTypes", {})
    start = types.get("URL_REQUEST_START_JOB")
    urls = []
    for e in data.get("events", []):
        p = e.get("params", {})
        if e.get("type") == start and "file://" in str(p.get("network_isolation_key", "")):
            urls.append(p.get("url", ""))
    return urls


@pytest.fixture(scope="module")
def report(hostile_results) -> Path:
    """A report whose scenario's name holds a script element (see conftest)."""
    return hostile_results[0] / "report.html"


def test_detection_works_on_a_control_page(tmp_path):
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
        '<script>console.error("control-console-error")</script></body></html>'
    )
    net = tmp_path / "net.json"
    proc = chromium(tmp_path, page.as_uri(), "--dump-dom", f"--log-net-log={net}")
    assert "control-console-error" in " ".join(console_lines(proc.stderr))
    assert "http://example.invalid/x.png" in page_requests(net)


def test_report_renders_every_figure_with_no_script_and_no_request(report, tmp_path):
    net = tmp_path / "net.json"
    proc = chromium(tmp_path, report.as_uri(), "--dump-dom", f"--log-net-log={net}")
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<h1>" in dom and "Chiffres clés" in dom
    # every figure is there, drawn (paths inside each svg)
    figures = dom.split("<figure")[1:]
    assert len(figures) == len(plots.RUN_FIGURES)
    for fig in figures:
        svg = fig.split("</svg>")[0]
        assert "<svg" in svg and svg.count("<path") > 10
    # the scenario's name is text, not an element; the title was not changed by it
    assert "<script" not in dom
    assert (
        "&lt;script&gt;document.title='pwned'&lt;/script&gt; Bassin &lt;b&gt;minier&lt;/b&gt;"
        " &amp; co"
    ) in dom
    assert "<title>pwned</title>" not in dom and "<b>" not in dom
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom and "<img" not in dom
    assert console_lines(proc.stderr) == []
    assert page_requests(net) == []


def test_report_screenshot_is_not_blank(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    proc = chromium(
        tmp_path,
        report.as_uri(),
        f"--screenshot={shot}",
        "--window-size=1200,2400",
        "--hide-scrollbars",
    )
    assert shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1200, 2400)
        pixels = np.asarray(im.convert("RGB"))
    packed = (pixels[..., 0].astype(np.uint32) << 16) | (pixels[..., 1].astype(np.uint32) << 8)
    assert len(np.unique(packed | pixels[..., 2])) > 50  # many colours: text, figures
    assert (pixels < 128).any(axis=2).mean() > 0.005  # some dark ink: text and lines
    assert console_lines(proc.stderr) == []
