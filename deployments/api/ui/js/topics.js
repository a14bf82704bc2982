// Topics view: start a run (corpus URI or uploaded JSONL), watch its progress, read the trend chart,
// the topic table with example documents, and, when the documents carry human labels, the metrics and
// the vibe-check table. Runs are topic jobs (POST/GET /v1/topics/jobs) when the server has them; a
// server without jobs gets the synchronous routes (/v1/topics, or /v1/topics/evaluate for labelled
// documents) and the runs of this tab are remembered in memory.
import { load as loadYaml } from "../vendor/js-yaml/js-yaml.mjs";
import * as api from "./api.js";
import { drawTrends } from "./trend_chart.js";
import { renderResult } from "./topics_result.js";

const $ = (id) => document.getElementById(id);
const DONE = new Set(["done", "succeeded", "completed", "finished"]);
const FAILED = new Set(["failed", "error", "cancelled"]);
const localRuns = []; // sync-mode runs of this tab: {id, started, source, n, payload}
const jobDocs = new Map(); // job id -> the documents this tab uploaded for it (for the vibe-check table)
let jobsRoute = null; // null: not asked yet; true/false once known
let polling = null;

/** Parse JSONL text into documents; the line number of the first bad line is in the error. */
export function parseJsonl(text) {
  const docs = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let doc;
    try { doc = JSON.parse(line); } catch { throw new Error(`line ${i + 1} is not JSON`); }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`line ${i + 1} is not a JSON object`);
    docs.push(doc);
  });
  if (!docs.length) throw new Error("the file holds no documents");
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

// A finished job's results and, with human labels, its metrics; the vibe-check rows come from the job when
// it has them, else from the documents this tab sent (a corpus read by the server has none here).
function jobResult(job, docs) {
  const result = job.result ? { labelling_errors: job.labelling_errors || [], ...job.result } : null;
  if (!job.metrics) return { result, evaluation: null };
  const sent = new Map((docs || []).map((d) => [d.id, d]));
  const vibe = job.vibe_check ?? (sent.size && result ? result.documents.filter((d) => sent.has(d.id)).map((d) => ({
    id: d.id, text: sent.get(d.id).text, human_topics: sent.get(d.id).human_topics || [], model_topics: d.topics,
  })) : null);
  return { result, evaluation: { metrics: job.metrics, vibe_check: vibe } };
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
  const labelled = payload.documents.every((d) => Array.isArray(d.human_topics) && d.human_topics.length);
  const n = payload.documents.length;
  const started = Date.now();
  const tick = setInterval(() => progress(`Labelling ${n} documents… ${fmtSeconds((Date.now() - started) / 1000)}`), 1000);
  progress(`Labelling ${n} documents…`);
  try {
    const body = { documents: payload.documents, window: payload.window, ...(payload.domain ? { domain: payload.domain } : {}) };
    const answer = await api.post(labelled ? "/v1/topics/evaluate" : "/v1/topics", body);
    const run = { id: `run-${localRuns.length + 1}`, started, source, n, seconds: (Date.now() - started) / 1000,
      result: labelled ? answer.result : answer, evaluation: labelled ? answer : null, docs: payload.documents };
    localRuns.unshift(run);
    show(run.result, run.evaluation, run.docs, run.id);
    refreshRuns();
  } finally {
    clearInterval(tick);
    $("topics-progress").hidden = true;
  }
}

function show(result, evaluation, docs, title) {
  if (!result) { $("topics-error").textContent = "The run finished without results."; return; }
  $("topics-result").hidden = false;
  renderResult(result, evaluation, docs, title);
  drawTrends($("trend-chart"), result.trends || {});
}

function fail(e) {
  $("topics-progress").hidden = true;
  $("topics-error").textContent = api.describe(e);
}

async function start(event) {
  event.preventDefault();
  $("topics-error").textContent = "";
  const uri = $("topics-uri").value.trim();
  const file = $("topics-file").files[0];
  const window_ = $("topics-window").value;
  const domainFile = $("topics-domain").files[0];
  if (!uri && !file) { $("topics-error").textContent = "Give a corpus URI or choose a JSONL file."; return; }
  const button = $("topics-start");
  button.disabled = true;
  try {
    const docs = file ? parseJsonl(await file.text()) : null;
    const domain = domainFile ? parseDomain(await domainFile.text(), domainFile.name) : null;
    const source = file ? file.name : uri;
    const payload = { window: window_, ...(docs ? { documents: docs } : { corpus_uri: uri }), ...(domain ? { domain } : {}) };
    if (await hasJobs()) {
      const job = await api.post("/v1/topics/jobs", payload);
      if (docs) jobDocs.set(job.id, docs);
      progress(`Run ${job.id} started`);
      refreshRuns();
      await pollJob(job.id, docs);
    } else if (docs) {
      await runSync(payload, source);
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

async function refreshRuns() {
  const list = $("runs-list");
  const items = [];
  if (jobsRoute) {
    try {
      const answer = await api.get("/v1/topics/jobs");
      const jobs = answer.data || answer.jobs || answer || [];
      for (const job of jobs) {
        const when = job.created ? new Date(job.created * 1000).toLocaleString() : "";
        items.push(runItem(`${job.id} · ${job.state || job.status || ""} ${when} ${job.source || job.corpus_uri || ""}`.trim(),
          () => pollJob(job.id, jobDocs.get(job.id) || null)));
      }
    } catch (e) { if (e.status !== 404) fail(e); }
  }
  for (const run of localRuns) {
    items.push(runItem(`${run.id} · ${run.source} · ${run.n} documents · ${new Date(run.started).toLocaleTimeString()} ` +
      `· ${fmtSeconds(run.seconds)}`, async () => show(run.result, run.evaluation, run.docs, run.id)));
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
  // Past runs are listed once the API answers (after the key, when one is needed).
  window.addEventListener("medici:connected", () => hasJobs().then(refreshRuns).catch(() => {}));
}
