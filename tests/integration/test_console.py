"""The web console at /ui in a real headless Chromium (Debian's chromium + chromium-driver through selenium),
against the session's real Serve app and the real models.

Screenshots land in out/console/ (git-ignored) as test artifacts. `make test` installs the browser first
(tests/integration/browser_deps.sh).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from selenium.webdriver import ActionChains

from tests.integration.conftest import secured_ingress
from tests.integration.console_browser import (CHART_SERIES_JS, LOW_CONTRAST_JS, ROOT, add_document, add_message,
                                               browse, chroma, chrome, job_of, lab_distance, listed, open_view,
                                               screenshot, search, start_run, wait_for, x_labels_fit)

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


def test_the_console_loads_is_keyboard_navigable_and_fits_both_widths(browser, base_url, http):
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
    # the session's service has no key: the page says so where every view shows it
    assert http.get("/v1/auth/status").json()["auth"] == "open"
    badge = browser.find_element("id", "auth-badge")
    assert badge.is_displayed() and badge.text == "open: no API key"
    assert not browser.find_element("id", "key-forget").is_displayed()
    screenshot(browser, "loads-1280")
    for view in ("topics", "documents", "agent"):
        browser.set_window_size(390, 844)
        open_view(browser, base_url, view)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{view} view scrolls sideways at 390 px"
        assert browser.execute_script(LOW_CONTRAST_JS, 4.5) == [], view
        screenshot(browser, f"{view}-390")
    browser.set_window_size(1280, 900)


# The word each mode's score explanation must name: what made the score.
SCORE_MEANS = {"keyword": "BM25", "semantic": "cosine", "hybrid": "reciprocal-rank fusion"}


def test_documents_search_in_each_mode_then_add_replace_browse_and_delete(browser, base_url, http):
    open_view(browser, base_url, "documents")
    for mode in ("keyword", "semantic", "hybrid"):
        shown = search(browser, "vacation days", mode)
        answer = http.post("/v1/documents/search", json={"query": "vacation days", "k": 5, "mode": mode}).json()
        assert shown and shown == [r["id"] for r in answer["results"]], mode
        # each score says which mode made it, with a one-line explanation of its scale
        scores = browser.execute_script("return [...document.querySelectorAll('#docs-results li .meta .tip')]"
                                        ".map(t => [t.firstChild.textContent, t.dataset.tip])")
        assert [text for text, _ in scores] == [f"{mode} score {r['score']:.3f}" for r in answer["results"]], mode
        assert all(SCORE_MEANS[mode] in explanation for _, explanation in scores), scores
    first, second = "console-test-doc", "console-test-doc-2"
    add_document(browser, first, "The console test adds this note about a zebra mural.", '{"source": "console-test"}')
    wait_for(browser, lambda d: add_message(d).startswith(f"Stored {first}"), 60)
    assert add_message(browser).startswith(f"Stored {first}: 1 added, 0 replaced"), add_message(browser)
    add_document(browser, second, "A second console note, about a heron sketch.", '{"source": "console-test"}')
    wait_for(browser, lambda d: add_message(d).startswith(f"Stored {second}"), 60)
    # the same id again asks first: declined, nothing changes; accepted, it is replaced and keeps its metadata
    add_document(browser, first, "The zebra mural note, rewritten by the console test.")
    wait_for(browser, lambda d: d.switch_to.alert, 30)
    assert "stored already" in browser.switch_to.alert.text and "metadata is kept" in browser.switch_to.alert.text
    browser.switch_to.alert.dismiss()
    wait_for(browser, lambda d: add_message(d).startswith("Not stored"), 30)
    assert http.get(f"/v1/documents/{first}").json()["text"].startswith("The console test adds")
    browser.find_element("css selector", "#add-form button[type=submit]").click()
    wait_for(browser, lambda d: d.switch_to.alert, 30)
    browser.switch_to.alert.accept()
    wait_for(browser, lambda d: add_message(d).startswith(f"Stored {first}"), 60)
    assert add_message(browser).startswith(f"Stored {first}: 0 added, 1 replaced"), add_message(browser)
    stored = http.get(f"/v1/documents/{first}").json()
    assert stored["text"].startswith("The zebra mural note") and stored["metadata"] == {"source": "console-test"}
    # browse honours the filter, the page size and the order, and shows when each was added
    browser.find_element("id", "search-filter").send_keys("source=console-test")
    status = browse(browser, 1, "added")
    assert status == "Documents 1–1 of 2 matching source=console-test, newest added first.", status
    api_page = http.get("/v1/documents", params={"filter": '{"source": "console-test"}', "order": "added",
                                                 "limit": 1}).json()
    assert listed(browser) == [d["id"] for d in api_page["documents"]] == [second]
    added = browser.find_element("css selector", "#docs-results li .added")
    assert added.get_attribute("data-added") == api_page["documents"][0]["added_at"] and added.text.startswith("added ")
    browser.find_element("id", "docs-next").click()
    wait_for(browser, lambda d: listed(d) == [first], 30)
    assert browse(browser, 5, "id").endswith("of 2 matching source=console-test, by id.")
    assert listed(browser) == [first, second]
    wait_for(browser, lambda d: search(d, "zebra mural", "keyword")[:1] == [first], 60)
    screenshot(browser, "documents-1280")
    item = browser.find_element("css selector", f"#docs-results li[data-id='{first}']")
    item.find_element("css selector", "button.secondary").click()
    wait_for(browser, lambda d: d.find_element("id", "doc-detail").is_displayed(), 30)
    detail = browser.find_element("id", "doc-detail-body").text
    assert "zebra mural" in detail and "console-test" in detail and "Shown from the search result" not in detail
    assert "Added" in detail
    for doc_id in (first, second):
        browse(browser, 5, "id")
        item = browser.find_element("css selector", f"#docs-results li[data-id='{doc_id}']")
        item.find_element("css selector", "button.danger").click()
        browser.switch_to.alert.accept()
        wait_for(browser, lambda d: d.find_element("id", "docs-status").text == f"Deleted {doc_id}."
                 or d.find_element("id", "search-error").text, 60)
        assert browser.find_element("id", "search-error").text == ""
        assert not browser.find_elements("css selector", f"#docs-results li[data-id='{doc_id}']")
    browser.find_element("id", "search-filter").clear()
    browser.find_element("id", "search-k").clear()
    browser.find_element("id", "search-k").send_keys("5")


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


def test_an_agent_question_shows_its_steps_one_by_one_before_the_answer(browser, base_url, http):
    open_view(browser, base_url, "agent")
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
    # honest about how it ended: "Done." only for a final answer, else stopped before finishing, with the reason
    reason = re.search(r"stop reason: (\w+)", browser.find_element("id", "agent-answer-meta").text).group(1)
    status = browser.find_element("id", "agent-status").text
    if reason == "final_answer":
        assert status == "Done.", status
    else:
        assert status.startswith(f"Stopped before finishing ({reason}") and "Done" not in status, status
    # the sources are the documents the answer came from: ids the steps' observations show, each one stored
    links = browser.execute_script("return [...document.querySelectorAll('#agent-answer-source a.doc-link')]"
                                   ".map(a => a.dataset.id)")
    observations = " ".join(browser.execute_script(
        "return [...document.querySelectorAll('#agent-steps li')].map(li => li.textContent)"))
    source = browser.find_element("id", "agent-answer-source").text
    if source.startswith("From the observation of") and "(search)" in source.split(".")[0]:
        assert links, source  # the document, not "step 1 (search)"
    for doc_id in links:
        assert f"[{doc_id}]" in observations or doc_id in observations, doc_id
        assert http.get(f"/v1/documents/{doc_id}").status_code == 200, doc_id
    if links:
        browser.find_element("css selector", "#agent-answer-source a.doc-link").click()
        wait_for(browser, lambda d: d.find_element("id", "doc-detail").is_displayed(), 30)
        assert browser.find_element("id", "tab-documents").get_attribute("aria-selected") == "true"
        wait_for(browser, lambda d: links[0] in d.find_element("id", "doc-detail-body").text.splitlines(), 30)


@pytest.fixture(scope="module")
def secured_url(base_url: str, tmp_path_factory):
    """A second ingress with an API key in front of the session's models."""
    with secured_ingress(KEY, tmp_path_factory.mktemp("console-secret"), "ConsoleSecuredIngress",
                         "console-auth-test", "/console-secured"):
        yield f"{base_url}/console-secured"


def test_a_wrong_key_shows_a_clear_message_and_the_right_one_connects(browser, secured_url):
    browser.execute_script("sessionStorage.clear()")
    open_view(browser, secured_url)
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
    # one key alone is an admin key; the page says which, and offers to change or forget it
    badge = browser.find_element("id", "auth-badge")
    assert badge.is_displayed() and badge.text == "key: admin"
    # change it: a wrong one is refused and the right one connects again
    browser.find_element("id", "key-change").click()
    assert browser.find_element("id", "auth").is_displayed() and browser.find_element("id", "auth-cancel").is_displayed()
    key = browser.find_element("id", "auth-key")
    key.send_keys(WRONG)
    key.submit()
    wait_for(browser, lambda d: "refused" in d.find_element("id", "auth-message").text, 30)
    key = browser.find_element("id", "auth-key")
    key.send_keys(KEY)
    key.submit()
    wait_for(browser, lambda d: not d.find_element("id", "auth").is_displayed(), 30)
    assert browser.find_element("id", "auth-badge").text == "key: admin"
    # forget it: gone from the tab's storage, and the page asks for a key again
    browser.find_element("id", "key-forget").click()
    wait_for(browser, lambda d: d.find_element("id", "auth").is_displayed(), 30)
    assert browser.execute_script("return sessionStorage.getItem('medici.apiKey')") is None
    assert not browser.find_element("id", "auth-badge").is_displayed()
    assert not browser.find_element("id", "key-forget").is_displayed()
    assert browser.find_element("id", "connection").text == "API key needed"
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


def _art_docs() -> list[dict]:
    return [json.loads(line) for line in ART_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_topics_run_on_the_art_corpus_highlights_the_planted_rising_topic(browser, base_url, http, tmp_path):
    """The analyst's path: the shipped corpus, half of it labelled, and its labelling domain uploaded, a topic
    job polled to the end; then the chart's choices, the badges, the metrics' explanations and the past run."""
    planted = _planted_rising_topic()
    docs = _art_docs()
    for doc in docs[1::2]:
        del doc["human_topics"]
    labelled = sum("human_topics" in d for d in docs)
    upload = tmp_path / "art-half-labelled.jsonl"
    upload.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    open_view(browser, base_url, "topics")
    start_run(browser, upload, ART_DOMAIN)
    wait_for(browser, lambda d: f"/ {len(docs)} documents labelled" in d.find_element("id", "topics-progress-text").text
             or d.find_element("id", "topics-result").is_displayed() or d.find_element("id", "topics-error").text, 300)
    assert browser.find_element("id", "topics-error").text == ""
    screenshot(browser, "topics-progress")
    wait_for(browser, lambda d: d.find_element("id", "topics-result").is_displayed()
             or d.find_element("id", "topics-error").text, TOPICS_RUN_TIMEOUT_S)
    shot = screenshot(browser, "topics-result", full=True, folder=tmp_path)
    assert shot.stat().st_size > 10_000
    assert browser.find_element("id", "topics-error").text == ""
    summary = browser.find_element("id", "result-summary").text
    failed = re.search(r"(\d+) documents could not be labelled", summary)
    assert not failed or int(failed.group(1)) < 50, f"the model failed to label most documents: {summary}"
    job = job_of(http, summary)
    trends = job["result"]["trends"]
    assert browser.find_elements("css selector", "#trend-chart canvas")
    highlighted = browser.execute_script(
        "return [...document.querySelectorAll('#trend-chart .u-legend tr[data-status=rising],"
        " #trend-chart .u-legend tr[data-status=new]')].map(r => r.dataset.topic)")
    assert highlighted, summary
    # Evaluated on the labelled half, and it says so. The vibe-check table says which human topic each
    # model topic holds.
    assert browser.find_element("id", "vibe-on").text == f"(on {labelled} of {len(docs)} labelled documents)"
    assert not browser.find_element("id", "no-vibe").is_displayed()
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#vibe-table tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    assert len(rows) == labelled
    share = {}
    for topic in highlighted:
        members = [r for r in rows if topic in [t.strip() for t in r[3].split(",")]]
        share[topic] = sum(r[2].split(",")[0].strip() == planted for r in members) / max(1, len(members))
    assert max(share.values()) >= 0.5, (planted, share)
    # every metric has its one-line explanation
    tips = dict(browser.execute_script("return [...document.querySelectorAll('#metrics-table tbody tr')]"
                                       ".map(r => [r.dataset.metric, r.querySelector('.tip')?.dataset.tip || ''])"))
    assert tips and all(tips.values()), tips
    assert "mutual information" in tips["nmi"] and "Rand" in tips["ari"] and "Chuang" in tips["chuang_rescaled_dot_product"]
    assert "F1" in tips["label_f1"]
    # each rising, new or fading badge gives the windows of its change and its test's p-value
    for topic in (t for t in trends["topics"] if t["status"] != "steady"):
        badge = browser.find_element("css selector", f"#trend-badges .badge[data-topic='{topic['label']}']").text
        if topic.get("window"):
            assert topic["window"]["start"] in badge and topic["window"]["end"] in badge, badge
        if topic.get("p_value") is not None:
            assert re.search(r"p [=<] 0\.\d+", badge), badge
    # one distinct colour per topic drawn, none of them grey; the page says how many of all it draws
    every = len(trends["topics"])
    series = browser.execute_script(CHART_SERIES_JS)
    assert browser.find_element("id", "chart-shown").text == f"{len(series)} of {every} topics shown"
    colours = [c for _, _, c in series]
    assert min(chroma(c) for c in colours) > 25, colours
    assert min(lab_distance(a, b) for i, a in enumerate(colours) for b in colours[i + 1:]) > 20, colours
    assert x_labels_fit(browser)[-1] == trends["windows"][-1] or len(trends["windows"]) > 12
    if every > len(series):
        browser.find_element("id", "chart-all").click()
        wait_for(browser, lambda d: d.find_element("id", "chart-shown").text == f"{every} of {every} topics shown", 10)
        assert len({c for _, _, c in browser.execute_script(CHART_SERIES_JS)}) == min(every, 20)
        browser.find_element("id", "chart-all").click()
    # clicking a legend entry shows that topic alone; clicking it again shows them all
    entry = "#trend-chart .u-legend tr.u-series:nth-child(2) th"
    browser.find_element("css selector", entry).click()
    assert [label for label, shown, _ in browser.execute_script(CHART_SERIES_JS) if shown] == [series[0][0]]
    browser.find_element("css selector", entry).click()
    assert all(shown for _, shown, _ in browser.execute_script(CHART_SERIES_JS))
    # hover: the legend shows the counts of the window under the cursor, or the shares once asked for
    chart = browser.find_element("css selector", "#trend-chart .u-over")
    ActionChains(browser).move_to_element(chart).perform()  # the middle window
    values = browser.execute_script(
        "return [...document.querySelectorAll('#trend-chart .u-legend tr.u-series td.u-value')].map(c => c.textContent)")
    assert values[0] != "—" and all(v.strip().isdigit() for v in values[1:]), values
    browser.find_element("css selector", "input[name=chart-scale][value=share]").click()
    wait_for(browser, lambda d: d.find_element("id", "trend-chart").get_attribute("data-mode") == "share", 10)
    chart = browser.find_element("css selector", "#trend-chart .u-over")
    ActionChains(browser).move_to_element(chart).perform()
    values = browser.execute_script(
        "return [...document.querySelectorAll('#trend-chart .u-legend tr.u-series td.u-value')].map(c => c.textContent)")
    assert all(re.fullmatch(r"\d+(\.\d)?%", v.strip()) for v in values[1:]), values
    assert all(0 <= float(v.strip("%")) <= 100 for v in values[1:]), values
    browser.find_element("css selector", "input[name=chart-scale][value=count]").click()
    assert browser.execute_script(LOW_CONTRAST_JS, 4.5) == []
    screenshot(browser, "topics-1280", full=True)
    # the run is listed among the past runs, with its file, window, topics, labelled documents and duration
    runs = browser.find_elements("css selector", "#runs-list li")
    mine = [li for li in runs if li.text.startswith(job["id"])]
    assert mine, [li.text for li in runs]
    line = mine[0].text
    assert job["topic_count"] == sum(not t.get("other") for t in job["result"]["topics"])
    for part in (upload.name, "month windows", f"{job['topic_count']} topics",
                 f"{len(docs)} documents, {labelled} labelled"):
        assert part in line, (part, line)
    assert re.search(r"· \d+ (s|min \d+ s)\b", line), line
    browser.execute_script("document.getElementById('topics-result').hidden = true")
    mine[0].find_element("css selector", "button").click()
    wait_for(browser, lambda d: d.find_element("id", "topics-result").is_displayed(), 60)
    assert browser.find_elements("css selector", "#trend-chart .u-legend tr[data-status=rising]")


def test_bad_lines_are_named_by_line_and_field_and_can_be_left_out(browser, base_url, http, tmp_path):
    """A file with bad lines: the server's message (1-based lines, the field) in the page; a file and a URI
    together refused in the page; with "leave out", a week-window run on the rest that lists them and says
    why there is no vibe check (no document is labelled)."""
    docs = [{k: v for k, v in d.items() if k != "human_topics"} for d in _art_docs()[::9]]
    lines = [json.dumps(d) for d in docs]
    lines.insert(1, json.dumps({"id": "no-text", "timestamp": "2025-05-01T10:00:00Z"}))  # line 2
    lines.insert(4, "{not json")  # line 5
    upload = tmp_path / "bad-lines.jsonl"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
    open_view(browser, base_url, "topics")
    jobs_before = len(http.get("/v1/topics/jobs").json()["jobs"])
    browser.find_element("id", "topics-uri").send_keys("s3://medici-console-test/corpus.jsonl")
    start_run(browser, upload, ART_DOMAIN)
    wait_for(browser, lambda d: d.find_element("id", "topics-error").text, 30)
    assert "not both" in browser.find_element("id", "topics-error").text
    assert len(http.get("/v1/topics/jobs").json()["jobs"]) == jobs_before
    browser.find_element("id", "topics-uri").clear()
    browser.find_element("id", "topics-start").click()
    wait_for(browser, lambda d: d.find_element("id", "topics-error").text, 60)
    shown = browser.find_element("id", "topics-error").text
    refused = http.post("/v1/topics/jobs", json={"jsonl": upload.read_text(encoding="utf-8"),
                                                 "source_name": upload.name, "window": "week"})
    assert refused.status_code == 400 and shown == refused.json()["error"]["message"], shown
    assert "line 2" in shown and "text" in shown and "line 5" in shown, shown
    assert "Document" not in shown and "documents.1" not in shown, shown
    # left out: the run goes on with the good lines, lists the bad ones, and says why there is no vibe check
    # the page may still show the last job's result (it reopens it on load): wait for this run's own summary
    before = browser.find_element("id", "result-summary").text
    start_run(browser, upload, ART_DOMAIN, window="week", skip=True)
    wait_for(browser, lambda d: (d.find_element("id", "topics-result").is_displayed()
                                 and d.find_element("id", "result-summary").text not in ("", before))
             or d.find_element("id", "topics-error").text, TOPICS_RUN_TIMEOUT_S)
    assert browser.find_element("id", "topics-error").text == ""
    assert "2 bad lines left out" in browser.find_element("id", "result-summary").text
    skipped = [li.text for li in browser.find_elements("css selector", "#result-skipped li")]
    assert [s.split(":")[0] for s in skipped] == ["line 2", "line 5"], skipped
    job = job_of(http, browser.find_element("id", "result-summary").text)
    no_vibe = browser.find_element("id", "no-vibe")
    assert no_vibe.is_displayed() and not browser.find_element("id", "vibe").is_displayed()
    assert no_vibe.text.startswith("No vibe check: ") and job["evaluation"]["reason"] in no_vibe.text, no_vibe.text
    # the week view's last label (the corpus's last week) is drawn inside the chart
    drawn = x_labels_fit(browser)
    assert job["result"]["trends"]["window"] == "week" and drawn[-1].startswith("2025-W"), drawn


# The page's modules called in the browser on records without the newer fields: nothing reads "undefined".
_MODULES_JS = """
const done = arguments[arguments.length - 1];
Promise.all([import('./js/agent.js'), import('./js/topics.js'), import('./js/topics_result.js')]).then(([agent, topics, result]) => {
  const steps = [{action: 'search', action_input: 'q', observation: '[doc-7] seven [doc-9] nine'},
                 {action: 'calculator', action_input: '12 * 2', observation: '24'}];
  done({
    stopped: agent.stopText('max_steps'), guarded: agent.stopText('repeated_action'), done: agent.stopText('final_answer'),
    observed: agent.answerDocuments({steps, answer_source: {kind: 'observation', step: 0}}),
    calculated: agent.answerDocuments({steps: [{action: 'search', observation: '[a-1] 12 days'}, steps[1]],
                                       answer_source: {kind: 'calculation', step: 1}}),
    given: agent.answerDocuments({sources: [{id: 'x-1'}, 'x-2'], steps}),
    oldRun: topics.runText({id: 'job-1', state: 'done'}),
    newRun: topics.runText({id: 'job-2', state: 'done', source: 'news.jsonl', window: 'week', topic_count: 1,
                            documents: 30, labelled: 15, duration_s: 83}),
    badge: [result.changeText({window: {start: '2025-03', end: '2025-06'}}), result.pText(0.0031), result.pText(0.0004),
            result.changeText({}), result.pText(undefined)],
  });
});
"""


def test_the_page_modules_degrade_to_nothing_when_a_field_is_missing(browser, base_url):
    open_view(browser, base_url, "topics")
    got = browser.execute_async_script(_MODULES_JS)
    assert got["stopped"].startswith("Stopped before finishing (max_steps") and "Done" not in got["stopped"]
    assert got["guarded"].startswith("Stopped before finishing (repeated_action") and got["done"] == "Done."
    assert got["observed"] == ["doc-7", "doc-9"] and got["calculated"] == ["a-1"] and got["given"] == ["x-1", "x-2"]
    assert got["oldRun"] == "job-1 · done"
    assert got["newRun"] == "job-2 · done · news.jsonl · week windows · 1 topic · 30 documents, 15 labelled · 1 min 23 s"
    assert got["badge"] == ["2025-03 to 2025-06", "p = 0.003", "p < 0.001", "", ""]
    assert "undefined" not in json.dumps(got)
