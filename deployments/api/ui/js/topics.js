// Topics view: start a run (corpus URI or uploaded JSONL), watch its progress, read the trend chart,
// the topic table with example documents, and, when the documents carry human labels, the metrics and
// the vibe-check table. Runs are topic jobs (POST/GET /v1/topics/jobs) when the server has them; a
// server without jobs gets the synchronous routes (/v1/topics, or /v1/topics/evaluate for labelled
// documents) and the runs of this tab are remembered in memory. An uploaded file goes to a job as its raw
// text, so the server's messages name the file's own lines.
import { load as loadYaml } from "../vendor/js-yaml/js-yaml.mjs";
import * as api from "./api.js";
import { drawTrends, TOP } from "./trend_chart.js";
import { renderResult } from "./topics_result.js";

const $ = (id) => document.getElementById(id);
const DONE = new Set(["done", "succeeded", "completed", "finished"]);
const FAILED = new Set(["failed", "error", "cancelled"]);
const localRuns = []; // sync-mode runs of this tab: {id, started, source, n, labelled, window, seconds, result, evaluation, docs}
const jobDocs = new Map(); // job id -> the documents this tab uploaded for it (for the vibe-check table)
let jobsRoute = null; // null: not asked yet; true/false once known
let polling = null;
const chart = { trends: null, all: false, share: false }; // the drawn run's trends and the chart's choices

/** Parse JSONL text into documents; the (1-based) line number of the first bad line is in the error. With
 * `lenient`, bad lines are left out instead (the server reports them). */
export function parseJsonl(text, lenient = false) {
  const docs = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let doc;
    try { doc = JSON.parse(line); } catch {
      if (lenient) return;
      throw new Error(`line ${i + 1} is not JSON`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      if (lenient) return;
      throw new Error(`line ${i + 1} is not a JSON object`);
    }
    docs.push(doc);
  });
  if (!docs.length && !lenient) throw new Error("the file holds no documents");
  return docs;
}

/** A labelling domain ({name, instruction, examples}) from YAML or JSON text; the server validates its fields. */
export function parseDomain(text, name) {
  let domain;
  try { domain = loadYaml(text); } catch (e) { throw new Error(`${name} is not YAML or JSON: ${e.message}`); }
  if (typeof domain !== "object" || domain === null || Array.isArray(domain)) throw new Error(`${name} holds no mapping`);
  return domain;
}

async function hasJobs() {
  if (jobsRoute !== null) return jobsRoute;
  try {
    await api.get("/v1/topics/jobs");
    jobsRoute = true;
  } catch (e) {
    if (e.status === 401) throw e;
    jobsRoute = !(e.status === 404 || e.status === 405);
  }
  return jobsRoute;
}

function progress(text, value, max) {
  $("topics-progress").hidden = false;
  $("topics-progress-text").textContent = text;
  const bar = $("topics-bar");
  if (max) { bar.max = max; bar.value = value; } else { bar.removeAttribute("value"); }
}

function fmtSeconds(s) {
  if (s == null || !isFinite(s)) return "?";
  s = Math.round(s);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

// A finished job's results and its evaluation: the metrics and the vibe-check rows on the labelled documents,
// with how many were labelled (or why there is no evaluation). A server that sends no vibe-check rows gets
// them from the documents this tab sent (a corpus read by the server has none here).
function jobResult(job, docs) {
  const result = job.result ? { labelling_errors: job.labelling_errors || [], skipped_count: job.skipped_count,
    skipped_lines: job.skipped_lines, ...job.result } : null;
  if (!job.metrics) return { result, evaluation: job.evaluation ? { metrics: null, evaluation: job.evaluation } : null };
  const sent = new Map((docs || []).filter((d) => d.human_topics?.length).map((d) => [d.id, d]));
  const vibe = job.vibe_check ?? (sent.size && result ? result.documents.filter((d) => sent.has(d.id)).map((d) => ({
    id: d.id, text: sent.get(d.id).text, human_topics: sent.get(d.id).human_topics || [], model_topics: d.topics,
  })) : null);
  return { result, evaluation: { metrics: job.metrics, vibe_check: vibe, evaluation: job.evaluation || null } };
}

async function pollJob(id, docs) {
  if (polling) clearTimeout(polling);
  const job = await api.get(`/v1/topics/jobs/${encodeURIComponent(id)}`);
  const state = String(job.state || job.status || "").toLowerCase();
  const p = job.progress || {};
  if (DONE.has(state)) {
    $("topics-progress").hidden = true;
    const { result, evaluation } = jobResult(job, docs);
    show(result, evaluation, docs, `job ${id}`);
    refreshRuns();
    return;
  }
  if (FAILED.has(state)) {
    $("topics-progress").hidden = true;
    $("topics-error").textContent = `Run ${id} ${state}: ${job.error?.message || job.error || "no reason given"}`;
    refreshRuns();
    return;
  }
  const done = p.labelled ?? p.done ?? 0;
  const total = p.total ?? null;
  const rate = p.rate_docs_s ?? p.rate;
  progress(`${state || "queued"}: ${done}${total ? ` / ${total}` : ""} documents labelled` +
    (rate ? ` · ${Number(rate).toFixed(2)} documents/s` : "") +
    (p.eta_s != null ? ` · about ${fmtSeconds(p.eta_s)} left` : ""), done, total);
  polling = setTimeout(() => pollJob(id, docs).catch(fail), 1000);
}

async function runSync(payload, source) {
  const labelled = payload.documents.filter((d) => Array.isArray(d.human_topics) && d.human_topics.length).length;
  const n = payload.documents.length;
  const started = Date.now();
  const tick = setInterval(() => progress(`Labelling ${n} documents… ${fmtSeconds((Date.now() - started) / 1000)}`), 1000);
  progress(`Labelling ${n} documents…`);
  try {
    const body = { documents: payload.documents, window: payload.window, ...(payload.domain ? { domain: payload.domain } : {}) };
    let answer = null;
    if (labelled) {
      try {
        answer = await api.post("/v1/topics/evaluate", body);
      } catch (e) {
        if (e.status !== 400 || labelled === n) throw e; // an older server evaluates only fully labelled corpora
      }
    }
    const result = answer ? answer.result : await api.post("/v1/topics", { ...body,
      documents: body.documents.map(({ human_topics: _, ...d }) => d) });
    const run = { id: `run-${localRuns.length + 1}`, started, source, n, labelled, window: payload.window,
      seconds: (Date.now() - started) / 1000, result, evaluation: answer, docs: payload.documents };
    localRuns.unshift(run);
    show(run.result, run.evaluation, run.docs, run.id);
    refreshRuns();
  } finally {
    clearInterval(tick);
    $("topics-progress").hidden = true;
  }
}

/** Redraw the chart of the shown run with the page's choices, and say how many topics it draws. */
function redraw() {
  if (!chart.trends) return;
  const drawn = drawTrends($("trend-chart"), chart.trends, { all: chart.all, share: chart.share });
  const button = $("chart-all");
  if (!drawn) { $("chart-shown").textContent = ""; button.hidden = true; return; }
  $("chart-shown").textContent = `${drawn.shown} of ${drawn.of} topics shown`;
  button.hidden = drawn.of <= TOP;
  button.setAttribute("aria-pressed", String(chart.all));
  button.textContent = chart.all ? `Show the top ${TOP}` : `Show all ${drawn.of}`;
}

function show(result, evaluation, docs, title) {
  if (!result) { $("topics-error").textContent = "The run finished without results."; return; }
  $("topics-result").hidden = false;
  renderResult(result, evaluation, docs, title);
  chart.trends = result.trends || {};
  redraw();
}

// What the server's `param` is called on this form: the uploaded file is the user's own input, not a field.
const FIELDS = { jsonl: null, documents: null, source_name: null, corpus_uri: "Corpus URI", window: "Trend window",
  domain: "Labelling domain file" };

function fail(e) {
  $("topics-progress").hidden = true;
  $("topics-error").textContent = api.describe(e, FIELDS);
}

const NEW_JOB_FIELDS = new Set(["jsonl", "source_name", "skip_bad_lines"]);

/** Whether `e` is an older server refusing a field it does not know (a validation error without a code),
 * not its answer about the file's content (which carries a code, such as invalid_corpus). */
function unknownField(e) {
  return e.status === 400 && NEW_JOB_FIELDS.has(e.param) && !e.code && /not permitted|extra/i.test(e.message);
}

/** Submit a job: a file as its raw text (the server names its bad lines), or a corpus URI. A server from
 * before `jsonl` refuses the field: it then gets the documents parsed here. */
async function submitJob(common, file, text, uri) {
  if (!file) return api.post("/v1/topics/jobs", { ...common, corpus_uri: uri });
  try {
    return await api.post("/v1/topics/jobs", { ...common, jsonl: text, source_name: file.name });
  } catch (e) {
    if (!unknownField(e)) throw e;
    const { skip_bad_lines: _, ...older } = common;
    return api.post("/v1/topics/jobs", { ...older, documents: parseJsonl(text) });
  }
}

async function start(event) {
  event.preventDefault();
  $("topics-error").textContent = "";
  const uri = $("topics-uri").value.trim();
  const file = $("topics-file").files[0];
  const window_ = $("topics-window").value;
  const domainFile = $("topics-domain").files[0];
  if (!uri && !file) { $("topics-error").textContent = "Give a corpus URI or choose a JSONL file."; return; }
  if (uri && file) {
    $("topics-error").textContent = "Give a corpus URI or a file, not both: clear the Corpus URI field or the file.";
    return;
  }
  const button = $("topics-start");
  button.disabled = true;
  try {
    const text = file ? await file.text() : null;
    const domain = domainFile ? parseDomain(await domainFile.text(), domainFile.name) : null;
    const source = file ? file.name : uri;
    const common = { window: window_, ...(domain ? { domain } : {}),
      ...($("topics-skip-bad").checked ? { skip_bad_lines: true } : {}) };
    if (await hasJobs()) {
      const docs = file ? parseJsonl(text, true) : null; // the example texts and labels, read here too
      const job = await submitJob(common, file, text, uri);
      if (docs) jobDocs.set(job.id, docs);
      progress(`Run ${job.id} started`);
      refreshRuns();
      await pollJob(job.id, docs);
    } else if (file) {
      await runSync({ window: window_, documents: parseJsonl(text), ...(domain ? { domain } : {}) }, source);
    } else {
      $("topics-error").textContent = "This server runs topics only on uploaded documents (it has no topic jobs " +
        "to read a corpus URI): choose a JSONL file.";
    }
  } catch (e) {
    fail(e);
  } finally {
    button.disabled = false;
  }
}

function runItem(text, open) {
  const li = document.createElement("li");
  const span = document.createElement("span");
  span.textContent = text;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = "Open";
  button.setAttribute("aria-label", `Open ${text}`);
  button.addEventListener("click", () => open().catch(fail));
  li.append(span, button);
  return li;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One past run in a line: id, state, when, source, window, topics, documents and labelled ones, duration.
 * A field the server does not send is left out. */
export function runText(job) {
  const when = job.created ? new Date(job.created * 1000).toLocaleString() : "";
  const counts = job.documents != null ? plural(job.documents, "document") +
    (job.labelled != null ? `, ${job.labelled} labelled` : "") : job.labelled != null ? `${job.labelled} labelled` : "";
  return [
    `${job.id}`,
    [job.state || job.status || "", when].filter(Boolean).join(" "),
    job.source || job.corpus_uri || "",
    job.window ? `${job.window} windows` : "",
    job.topic_count != null ? plural(job.topic_count, "topic") : "",
    counts,
    job.duration_s != null ? fmtSeconds(job.duration_s) : "",
  ].filter(Boolean).join(" · ");
}

async function refreshRuns() {
  const list = $("runs-list");
  const items = [];
  if (jobsRoute) {
    try {
      const answer = await api.get("/v1/topics/jobs");
      const jobs = answer.data || answer.jobs || answer || [];
      for (const job of jobs) {
        items.push(runItem(runText(job), () => pollJob(job.id, jobDocs.get(job.id) || null)));
      }
    } catch (e) { if (e.status !== 404) fail(e); }
  }
  for (const run of localRuns) {
    items.push(runItem(runText({ id: run.id, state: "done", source: run.source, window: run.window,
      topic_count: (run.result?.topics || []).length, documents: run.n, labelled: run.labelled, duration_s: run.seconds,
      created: run.started / 1000 }), async () => show(run.result, run.evaluation, run.docs, run.id)));
  }
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "No runs yet.";
    items.push(li);
  }
  list.replaceChildren(...items);
}

export function initTopics() {
  $("topics-form").addEventListener("submit", start);
  $("chart-all").addEventListener("click", () => { chart.all = !chart.all; redraw(); });
  document.querySelectorAll("input[name=chart-scale]").forEach((r) => r.addEventListener("change", () => {
    chart.share = document.querySelector("input[name=chart-scale]:checked").value === "share";
    redraw();
  }));
  // Past runs are listed once the API answers (after the key, when one is needed).
  window.addEventListener("medici:connected", () => hasJobs().then(refreshRuns).catch(() => {}));
}
