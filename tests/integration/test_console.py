"""The web console at /ui in a real headless Chromium (Debian's chromium + chromium-driver through selenium),
against the session's real Serve app and the real models.

Screenshots land in out/console/ (git-ignored) as test artifacts. `make test` installs the browser first
(tests/integration/browser_deps.sh).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from selenium.webdriver import ActionChains

from tests.integration.conftest import secured_ingress
from tests.integration.console_browser import LOW_CONTRAST_JS, ROOT, chrome, screenshot, wait_for

pytestmark = pytest.mark.integration

ART_CORPUS = ROOT / "data" / "art_corpus.jsonl"
ART_DOMAIN = ROOT / "data" / "domains" / "art.yaml"
KEY = "console-key-5d81b0e2"
WRONG = "console-wrong-93af"
TOPICS_RUN_TIMEOUT_S = 1800  # a readiness wait: 99 documents labelled by the CPU model on a shared 2-core machine


@pytest.fixture(scope="module")
def browser():
    driver = chrome()
    yield driver
    driver.quit()


def _open(browser, url: str, view: str = "topics") -> None:
    browser.get(f"{url}/ui/#{view}")
    wait_for(browser, lambda d: d.find_element("id", "connection").text.startswith(("Connected", "API key")), 60)


def test_the_console_loads_is_keyboard_navigable_and_fits_both_widths(browser, base_url):
    browser.set_window_size(1280, 900)
    browser.get(f"{base_url}/ui")  # the redirect to /ui/
    assert browser.title == "Medici console"
    wait_for(browser, lambda d: d.find_element("id", "connection").text.startswith("Connected"), 60)
    tab = browser.find_element("id", "tab-topics")
    tab.click()
    tab.send_keys("\ue014")  # ArrowRight
    assert browser.find_element("id", "tab-documents").get_attribute("aria-selected") == "true"
    assert browser.find_element("id", "view-documents").is_displayed()
    assert not browser.find_element("id", "view-topics").is_displayed()
    assert browser.switch_to.active_element.get_attribute("id") == "tab-documents"
    # every form control has a label
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input:not([type=radio]), select, textarea')]"
        ".filter(e => !e.labels || !e.labels.length).map(e => e.id)")
    assert unlabelled == []
    assert browser.execute_script(LOW_CONTRAST_JS, 4.5) == []
    screenshot(browser, "loads-1280")
    for view in ("topics", "documents", "agent"):
        browser.set_window_size(390, 844)
        _open(browser, base_url, view)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{view} view scrolls sideways at 390 px"
        assert browser.execute_script(LOW_CONTRAST_JS, 4.5) == [], view
        screenshot(browser, f"{view}-390")
    browser.set_window_size(1280, 900)


def _search(browser, text: str, mode: str) -> list[str]:
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


def test_documents_search_in_each_mode_then_add_open_and_delete(browser, base_url, http):
    _open(browser, base_url, "documents")
    for mode in ("keyword", "semantic", "hybrid"):
        shown = _search(browser, "vacation days", mode)
        answer = http.post("/v1/documents/search", json={"query": "vacation days", "k": 5, "mode": mode}).json()
        assert shown and shown == [r["id"] for r in answer["results"]], mode
    doc_id = "console-test-doc"
    browser.find_element("id", "add-id").send_keys(doc_id)
    browser.find_element("id", "add-text").send_keys("The console test adds this note about a zebra mural.")
    browser.find_element("id", "add-metadata").send_keys('{"source": "console-test"}')
    browser.find_element("css selector", "#add-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element("id", "add-message").text.startswith(f"Stored {doc_id}"), 60)
    # a filter on the metadata finds it (replicas fold writes into their indexes in the background)
    browser.find_element("id", "search-filter").send_keys("source=console-test")
    wait_for(browser, lambda d: _search(d, "zebra mural", "keyword")[:1] == [doc_id], 60)
    screenshot(browser, "documents-1280")
    item = browser.find_element("css selector", f"#docs-results li[data-id='{doc_id}']")
    item.find_element("css selector", "button.secondary").click()
    wait_for(browser, lambda d: d.find_element("id", "doc-detail").is_displayed(), 30)
    detail = browser.find_element("id", "doc-detail-body").text
    assert "zebra mural" in detail and "console-test" in detail and "Shown from the search result" not in detail
    item.find_element("css selector", "button.danger").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda d: d.find_element("id", "docs-status").text == f"Deleted {doc_id}."
             or d.find_element("id", "search-error").text, 60)
    assert browser.find_element("id", "search-error").text == ""
    assert not browser.find_elements("css selector", f"#docs-results li[data-id='{doc_id}']")
    browser.find_element("id", "search-filter").clear()


# Each step's <li> and the answer panel, logged by a MutationObserver with the number of the observer
# callback that saw it: steps that arrive as separate server-sent events land in separate callbacks.
_OBSERVE = """
window.__arrivals = []; let batch = 0;
new MutationObserver((records) => {
  batch += 1;
  for (const r of records) {
    if (r.type === 'childList') for (const n of r.addedNodes) if (n.classList && n.classList.contains('step'))
      window.__arrivals.push({kind: 'step', batch, t: performance.now()});
    if (r.type === 'attributes' && r.target.id === 'agent-answer' && !r.target.hidden)
      window.__arrivals.push({kind: 'answer', batch, t: performance.now()});
  }
}).observe(document.getElementById('view-agent'), {childList: true, subtree: true, attributes: true,
                                                    attributeFilter: ['hidden']});
"""


def test_an_agent_question_shows_its_steps_one_by_one_before_the_answer(browser, base_url):
    _open(browser, base_url, "agent")
    browser.execute_script(_OBSERVE)
    question = browser.find_element("id", "agent-question")
    question.send_keys("How many vacation days do employees get per year, and what is that times 2?")
    browser.find_element("id", "agent-max-steps").send_keys("3")
    browser.find_element("id", "agent-ask").click()
    wait_for(browser, lambda d: d.find_element("id", "agent-answer").is_displayed()
             or d.find_element("id", "agent-error").text, 600)
    screenshot(browser, "agent-1280", full=True)
    assert browser.find_element("id", "agent-error").text == ""
    arrivals = browser.execute_script("return window.__arrivals")
    steps = [a for a in arrivals if a["kind"] == "step"]
    answer = [a for a in arrivals if a["kind"] == "answer"]
    assert steps and len(answer) == 1, arrivals
    # every step is on the page before the answer: in an earlier update, or earlier in the same one (a step
    # the answer is read from, such as a calculation, is sent just before it, with no LLM call between)
    assert arrivals[-1]["kind"] == "answer" and all(s["batch"] <= answer[0]["batch"] for s in steps), arrivals
    # Streamed, not buffered: the steps reach the page over several updates. The plan step's lookups are
    # recorded together (one search each, no LLM call between them), so those may share one update.
    assert len({s["batch"] for s in steps if s["batch"] < answer[0]["batch"]}) >= 2, f"steps arrived at once: {arrivals}"
    assert browser.find_element("id", "agent-answer-text").text
    assert browser.find_element("id", "agent-answer-source").text


@pytest.fixture(scope="module")
def secured_url(base_url: str, tmp_path_factory):
    """A second ingress with an API key in front of the session's models."""
    with secured_ingress(KEY, tmp_path_factory.mktemp("console-secret"), "ConsoleSecuredIngress",
                         "console-auth-test", "/console-secured"):
        yield f"{base_url}/console-secured"


def test_a_wrong_key_shows_a_clear_message_and_the_right_one_connects(browser, secured_url):
    browser.execute_script("sessionStorage.clear()")
    _open(browser, secured_url)
    assert browser.find_element("id", "auth").is_displayed()
    key = browser.find_element("id", "auth-key")
    key.send_keys(WRONG)
    key.submit()
    wait_for(browser, lambda d: "refused" in d.find_element("id", "auth-message").text, 30)
    message = browser.find_element("id", "auth-message").text
    assert "API key was refused" in message and WRONG not in message
    assert WRONG not in browser.current_url
    screenshot(browser, "wrong-key")
    key = browser.find_element("id", "auth-key")
    key.send_keys(KEY)
    key.submit()
    wait_for(browser, lambda d: d.find_element("id", "connection").text.startswith("Connected"), 30)
    assert not browser.find_element("id", "auth").is_displayed()
    assert KEY not in browser.current_url
    browser.execute_script("sessionStorage.clear()")


def _planted_rising_topic() -> str:
    """The human primary topic whose share grows most from the first to the last quarter of the corpus's
    months: read from the data, so the test names no topic itself."""
    docs = [json.loads(line) for line in ART_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    months = sorted({d["timestamp"][:7] for d in docs})
    quarter = max(1, len(months) // 4)
    early = Counter(d["human_topics"][0] for d in docs if d["timestamp"][:7] in months[:quarter])
    late = Counter(d["human_topics"][0] for d in docs if d["timestamp"][:7] in months[-quarter:])
    return max(late, key=lambda t: late[t] - early.get(t, 0))


def test_a_topics_run_on_the_art_corpus_highlights_the_planted_rising_topic(browser, base_url):
    """The analyst's path: the shipped corpus and its labelling domain uploaded, a topic job polled to the end."""
    planted = _planted_rising_topic()
    _open(browser, base_url, "topics")
    browser.find_element("id", "topics-file").send_keys(str(ART_CORPUS))
    browser.find_element("id", "topics-domain").send_keys(str(ART_DOMAIN))
    browser.find_element("id", "topics-start").click()
    wait_for(browser, lambda d: "/ 99 documents labelled" in d.find_element("id", "topics-progress-text").text
             or d.find_element("id", "topics-error").text, 300)
    assert browser.find_element("id", "topics-error").text == ""
    screenshot(browser, "topics-progress")
    wait_for(browser, lambda d: d.find_element("id", "topics-result").is_displayed()
             or d.find_element("id", "topics-error").text, TOPICS_RUN_TIMEOUT_S)
    screenshot(browser, "topics-1280", full=True)
    assert browser.find_element("id", "topics-error").text == ""
    summary = browser.find_element("id", "result-summary").text
    failed = re.search(r"(\d+) documents could not be labelled", summary)
    assert not failed or int(failed.group(1)) < 50, f"the model failed to label most documents: {summary}"
    assert browser.find_elements("css selector", "#trend-chart canvas")
    highlighted = browser.execute_script(
        "return [...document.querySelectorAll('#trend-chart .u-legend tr[data-status=rising],"
        " #trend-chart .u-legend tr[data-status=new]')].map(r => r.dataset.topic)")
    assert highlighted, browser.find_element("id", "result-summary").text
    # The vibe-check table (the corpus carries human labels) says which human topic each model topic holds.
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#vibe-table tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    assert len(rows) == 99
    share = {}
    for topic in highlighted:
        members = [r for r in rows if topic in [t.strip() for t in r[3].split(",")]]
        share[topic] = sum(r[2].split(",")[0].strip() == planted for r in members) / max(1, len(members))
    assert max(share.values()) >= 0.5, (planted, share)
    # hover: the legend shows the counts of the window under the cursor
    chart = browser.find_element("css selector", "#trend-chart .u-over")
    ActionChains(browser).move_to_element(chart).perform()  # the middle window
    values = browser.execute_script(
        "return [...document.querySelectorAll('#trend-chart .u-legend tr.u-series td.u-value')].map(c => c.textContent)")
    assert values[0] != "—" and all(v.strip().isdigit() for v in values[1:]), values
    assert browser.execute_script(LOW_CONTRAST_JS, 4.5) == []
    screenshot(browser, "topics-1280", full=True)
    # the run is listed among the past runs and reopens
    runs = browser.find_elements("css selector", "#runs-list li")
    job_id = browser.find_element("id", "result-summary").text.split(":")[0].removeprefix("job ")
    mine = [li for li in runs if li.text.startswith(job_id)]
    assert mine, [li.text for li in runs]
    browser.execute_script("document.getElementById('topics-result').hidden = true")
    mine[0].find_element("css selector", "button").click()
    wait_for(browser, lambda d: d.find_element("id", "topics-result").is_displayed(), 60)
    assert browser.find_elements("css selector", "#trend-chart .u-legend tr[data-status=rising]")

