"""Headless Chromium for the console tests: Debian's chromium and chromium-driver through selenium.

Screenshots go to out/console/ (git-ignored), kept as test artifacts, or to a folder the caller names.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "console"


def chrome():
    """A headless Chromium at 1280 x 900; fails with the fix when the browser is not installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("chromium and chromium-driver are needed: run `make browser` (tests/integration/browser_deps.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(browser, condition: Callable, timeout_s: float, poll_s: float = 0.25):
    """Poll `condition(browser)` until it is truthy; a readiness wait, not a timed assertion."""
    from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                            StaleElementReferenceException)

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = condition(browser)
            if value:
                return value
        except (StaleElementReferenceException, NoSuchElementException, NoAlertPresentException):
            pass
        if time.monotonic() > deadline:
            screenshot(browser, "timeout")
            raise TimeoutError(f"the page did not reach the expected state within {timeout_s}s")
        time.sleep(poll_s)


def screenshot(browser, name: str, full: bool = False, folder: Path | None = None) -> Path:
    """<folder or out/console>/<name>.png; `full` grows the window to the page's height first (up to 6,000 px)."""
    folder = folder or SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    size = browser.get_window_size()
    if full:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(size["width"], min(6000, height + 140))
    browser.save_screenshot(str(path))
    if full:
        browser.set_window_size(size["width"], size["height"])
    return path


# WCAG 2 contrast of every visible element that holds text of its own, against the first opaque background
# behind it: returns the ones under `min` as [text, ratio]. Form fields and placeholders are left out (the
# browser draws them), as is text inside the chart's canvas.
LOW_CONTRAST_JS = """
const min = arguments[0];
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const low = [];
for (const el of document.querySelectorAll('body *')) {
  if (['INPUT', 'TEXTAREA', 'SELECT', 'OPTION', 'SCRIPT', 'STYLE', 'CANVAS'].includes(el.tagName)) continue;
  const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
  if (!own || !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
  const style = getComputedStyle(el);
  if (el.closest('[hidden]') || el.closest('.sr-only')) continue;
  const fg = rgb(style.color).slice(0, 3);
  const [a, b] = [lum(fg), lum(background(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < min) low.push([own.slice(0, 40), Math.round(ratio * 100) / 100]);
}
return low;
"""


# The trend chart as drawn (the uPlot instance the page keeps on #trend-chart): each series' label, whether it
# is shown and its colour; and every x label's left and right edge in canvas pixels, with the canvas width.
CHART_SERIES_JS = """
const u = document.getElementById('trend-chart').chart;
return u.series.slice(1).map((s, i) => [s.label, s.show, typeof s.stroke === 'function' ? s.stroke(u, i + 1) : s.stroke]);
"""
X_LABELS_JS = """
const u = document.getElementById('trend-chart').chart;
const axis = u.axes[0];
u.ctx.save();
u.ctx.font = axis.font[0];
const edges = axis._splits.map((v, i) => [axis._values[i], v]).filter(([text]) => text)
  .map(([text, v]) => { const x = u.valToPos(v, 'x', true), w = u.ctx.measureText(text).width; return [text, x - w / 2, x + w / 2]; });
u.ctx.restore();
return {labels: edges, width: u.ctx.canvas.width};
"""


def _lab(h: str) -> tuple[float, float, float]:
    """#rrggbb in CIELAB (D65)."""
    rgb = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab_distance(a: str, b: str) -> float:
    """CIE76 distance of two colours: under about 10, two thin lines look alike."""
    return math.dist(_lab(a), _lab(b))


def chroma(h: str) -> float:
    """CIELAB chroma, the distance from the grey axis: a grey is under about 10."""
    _, a, b = _lab(h)
    return math.hypot(a, b)


# The console's forms, driven as a person would: each returns once the page has answered (or raises).

def open_view(browser, url: str, view: str = "topics") -> None:
    """A fresh page at `view`: through about:blank, since going to the URL the tab is on already (the same
    hash) would not load the page again and would keep the last test's results on it."""
    browser.get("about:blank")
    browser.get(f"{url}/ui/#{view}")
    wait_for(browser, lambda d: d.find_element("id", "connection").text.startswith(("Connected", "API key")), 60)


def search(browser, text: str, mode: str) -> list[str]:
    query = browser.find_element("id", "search-query")
    query.clear()
    query.send_keys(text)
    browser.find_element("css selector", f"input[name=mode][value={mode}]").click()
    browser.execute_script("document.getElementById('docs-status').textContent = ''")
    browser.find_element("css selector", "#search-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element("id", "docs-status").text.endswith(f"({mode})")
             or d.find_element("id", "search-error").text, 60)
    assert browser.find_element("id", "search-error").text == ""
    return [li.get_attribute("data-id") for li in browser.find_elements("css selector", "#docs-results li")]


def add_document(browser, doc_id: str, text: str, metadata: str = "") -> None:
    for field, value in (("add-id", doc_id), ("add-text", text), ("add-metadata", metadata)):
        box = browser.find_element("id", field)
        box.clear()
        if value:
            box.send_keys(value)
    browser.execute_script("document.getElementById('add-message').textContent = ''")
    browser.find_element("css selector", "#add-form button[type=submit]").click()


def add_message(browser) -> str:
    return browser.find_element("id", "add-message").text


def browse(browser, page: int, order: str) -> str:
    size = browser.find_element("id", "search-k")
    size.clear()
    size.send_keys(str(page))
    browser.find_element("css selector", f"#browse-order option[value={order}]").click()
    browser.execute_script("document.getElementById('docs-status').textContent = ''")
    browser.find_element("id", "browse").click()
    return wait_for(browser, lambda d: d.find_element("id", "docs-status").text or d.find_element("id", "search-error").text, 60)


def listed(browser) -> list[str]:
    return [li.get_attribute("data-id") for li in browser.find_elements("css selector", "#docs-results li")]


def start_run(browser, path: Path, domain: Path, window: str = "month", skip: bool = False) -> None:
    """Choose the file and the labelling domain on the topics view, and start the run."""
    browser.find_element("id", "topics-file").send_keys(str(path))
    browser.find_element("id", "topics-domain").send_keys(str(domain))
    browser.find_element("css selector", f"#topics-window option[value={window}]").click()
    if skip != browser.find_element("id", "topics-skip-bad").is_selected():
        browser.find_element("id", "topics-skip-bad").click()
    browser.execute_script("document.getElementById('topics-error').textContent = ''")
    browser.find_element("id", "topics-start").click()


def x_labels_fit(browser) -> list[str]:
    """The chart's x labels, after asserting each lies inside the canvas and none overlaps the next."""
    drawn = browser.execute_script(X_LABELS_JS)
    labels = drawn["labels"]
    assert labels, drawn
    for text, left, right in labels:
        assert left >= 0 and right <= drawn["width"], f"x label {text} is clipped: {left:.1f}..{right:.1f} of {drawn['width']}"
    for (a, _, a_right), (b, b_left, _) in zip(labels, labels[1:]):
        assert a_right <= b_left, f"x labels {a} and {b} overlap"
    return [text for text, _, _ in labels]


def job_of(http, summary: str) -> dict:
    """The job the result summary ("job <id>: ...") names, as the API gives it."""
    job_id = summary.split(":")[0].removeprefix("job ")
    return http.get(f"/v1/topics/jobs/{job_id}").json()
