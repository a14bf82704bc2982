// The tables of a topics run: the summary and trend badges, the topic table with example documents,
// and, for labelled documents, the metrics and the vibe-check table (human and model topics side by side).
import { cell, el } from "./dom.js";

const $ = (id) => document.getElementById(id);
const EXAMPLES = 3;
const STATUS_TEXT = { rising: "▲ rising", new: "★ new", fading: "▼ fading", steady: "steady" };

function badge(status, label) {
  return el("span", { class: `badge status-${status}`, "data-status": status }, `${STATUS_TEXT[status]}: ${label}`);
}

function examples(topic, texts) {
  const ids = topic.document_ids || [];
  const list = el("ul", { class: "examples" },
    ...ids.slice(0, EXAMPLES).map((id) => el("li", {}, el("strong", {}, id), texts.has(id) ? ` — ${texts.get(id)}` : "")));
  return el("details", {}, el("summary", {}, `${Math.min(EXAMPLES, ids.length)} of ${ids.length}`), list);
}

function snippet(text, n = 160) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length <= n ? t : `${t.slice(0, n - 1)}…`;
}

/** Fill the result panel from `result` ({topics, documents, trends}), `evaluation` and the sent documents. */
export function renderResult(result, evaluation, docs, title) {
  const trendTopics = result.trends?.topics || [];
  const status = new Map(trendTopics.map((t) => [t.label, t.status]));
  const texts = new Map((docs || result.documents || []).filter((d) => d.text).map((d) => [d.id, snippet(d.text)]));
  const nDocs = (result.documents || []).length;
  const errors = (result.labelling_errors || []).length;
  $("result-summary").textContent = `${title}: ${nDocs} documents, ${(result.topics || []).length} topics, ` +
    `${(result.trends?.windows || []).length} ${result.trends?.window || ""} windows` +
    (errors ? `, ${errors} documents could not be labelled` : "") + ".";

  const marked = trendTopics.filter((t) => t.status !== "steady")
    .sort((a, b) => ["rising", "new", "fading"].indexOf(a.status) - ["rising", "new", "fading"].indexOf(b.status));
  $("trend-badges").replaceChildren(...(marked.length ? marked.map((t) => badge(t.status, t.label))
    : [el("span", { class: "muted" }, "No topic is rising, new or fading.")]));

  const rows = (result.topics || []).map((t) => {
    const s = status.get(t.label) || "steady";
    return el("tr", { class: `trend-${s}`, "data-status": s },
      el("th", { scope: "row" }, t.label), cell(STATUS_TEXT[s], `status-${s}`), cell(String(t.count)),
      el("td", {}, examples(t, texts)));
  });
  $("topics-table").tBodies[0].replaceChildren(...rows);

  const vibe = $("vibe");
  vibe.hidden = !evaluation;
  if (!evaluation) return;
  const metrics = Object.entries(evaluation.metrics || {})
    .filter(([, v]) => typeof v === "number" || v === null)
    .map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k.replace(/_/g, " ")), cell(v === null ? "n/a" : v.toFixed(3))));
  $("metrics-table").tBodies[0].replaceChildren(...metrics);
  const vibeRows = (evaluation.vibe_check || []).map((r) => el("tr", {},
    el("th", { scope: "row" }, r.id), cell(r.text), cell((r.human_topics || []).join(", ")),
    cell((r.model_topics || []).join(", "))));
  $("vibe-table").tBodies[0].replaceChildren(...vibeRows);
}
