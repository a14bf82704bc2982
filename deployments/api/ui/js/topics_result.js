// The tables of a topics run: the summary and trend badges (each with the windows of its change and its
// test's p-value), the topic table with example documents, and the evaluation: the metrics (each with a
// one-line explanation) and the vibe-check table on the labelled documents, or why there is none.
import { cell, el, explainMetric, tip } from "./dom.js";

const $ = (id) => document.getElementById(id);
const EXAMPLES = 3;
const STATUS_TEXT = { rising: "▲ rising", new: "★ new", fading: "▼ fading", steady: "steady" };

/** "0.003", "< 0.001": a p-value to read, or "" when there is none. */
export function pText(p) {
  if (typeof p !== "number" || !isFinite(p)) return "";
  return p < 0.001 ? "p < 0.001" : `p = ${p.toPrecision(p < 0.01 ? 1 : 2)}`;
}

/** The windows of the change: "2025-03 to 2025-06", "since 2025-03" (older servers), or "". */
export function changeText(t) {
  const w = t.window;
  if (w && typeof w === "object" && w.start) return w.end && w.end !== w.start ? `${w.start} to ${w.end}` : `in ${w.start}`;
  return t.change_window ? `since ${t.change_window}` : "";
}

function badge(t, alpha) {
  const when = changeText(t);
  const p = pText(t.p_value);
  const detail = [when, p].filter(Boolean).join(", ");
  const before = t.before?.start ? ` than in ${t.before.start}${t.before.end && t.before.end !== t.before.start ? ` to ${t.before.end}` : ""}` : "";
  const why = t.status === "new" ? "appears" : t.status === "fading" ? "has a smaller share of the documents" : "has a larger share of the documents";
  const explanation = `${t.label} ${why}${when ? ` ${when}` : ""}${t.status === "new" ? "" : before}` +
    (p ? `; the test's ${p}${typeof alpha === "number" ? ` (a badge needs p < ${alpha})` : ""}` : "") + ".";
  return el("span", { class: `badge status-${t.status}`, "data-status": t.status, "data-topic": t.label },
    tip(`${STATUS_TEXT[t.status]}: ${t.label}${detail ? ` · ${detail}` : ""}`, explanation));
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

/** Why there is no vibe check, from the server's `evaluation.reason` or, from an older server, the sent documents. */
function noEvaluationReason(evaluation, docs) {
  if (evaluation?.reason) return evaluation.reason;
  if (!docs || !docs.length) return "";
  const labelled = docs.filter((d) => Array.isArray(d.human_topics) && d.human_topics.length).length;
  if (!labelled) return `none of the ${docs.length} documents has human_topics, so there are no metrics and no vibe check`;
  return `only ${labelled} of ${docs.length} documents have human_topics, and this server evaluates only fully labelled corpora`;
}

/**
 * Fill the result panel from `result` ({topics, documents, trends}), `evaluation` ({metrics, vibe_check,
 * evaluation?: {labelled, total, summary, reason}} or null) and the sent documents.
 */
export function renderResult(result, evaluation, docs, title) {
  const trends = result.trends || {};
  const trendTopics = trends.topics || [];
  const status = new Map(trendTopics.map((t) => [t.label, t.status]));
  const texts = new Map((docs || result.documents || []).filter((d) => d.text).map((d) => [d.id, snippet(d.text)]));
  const nDocs = (result.documents || []).length;
  const errors = (result.labelling_errors || []).length;
  const skipped = result.skipped_count || 0;
  const other = (result.topics || []).find((t) => t.other);
  const named = (result.topics || []).filter((t) => !t.other).length;
  $("result-summary").textContent = `${title}: ${nDocs} documents, ${named} topics` +
    (other ? ` (and ${other.count} ${other.count === 1 ? "document" : "documents"} in ${other.label})` : "") + ", " +
    `${(trends.windows || []).length} ${trends.window || ""} windows` +
    (errors ? `, ${errors} documents could not be labelled` : "") +
    (skipped ? `, ${skipped} bad lines left out` : "") + ".";
  const skippedLines = result.skipped_lines || [];
  $("result-skipped").replaceChildren(...skippedLines.map((s) => el("li", {}, `line ${s.line}: ${s.message}`)));
  $("result-skipped").hidden = !skippedLines.length;

  const order = ["rising", "new", "fading"];
  const marked = trendTopics.filter((t) => t.status !== "steady")
    .sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  $("trend-badges").replaceChildren(...(marked.length ? marked.map((t) => badge(t, trends.alpha))
    : [el("span", { class: "muted" }, "No topic is rising, new or fading.")]));

  const rows = (result.topics || []).map((t) => {
    const s = status.get(t.label) || "steady";
    return el("tr", { class: `trend-${s}`, "data-status": s },
      el("th", { scope: "row" }, t.label), cell(STATUS_TEXT[s] || s, `status-${s}`), cell(String(t.count)),
      el("td", {}, examples(t, texts)));
  });
  $("topics-table").tBodies[0].replaceChildren(...rows);

  const counts = evaluation?.evaluation || null;
  const hasMetrics = Boolean(evaluation?.metrics);
  $("vibe").hidden = !hasMetrics;
  const reason = hasMetrics ? "" : noEvaluationReason(counts, docs);
  $("no-vibe").textContent = reason ? `No vibe check: ${reason}.`.replace(/\.\.$/, ".") : "";
  $("no-vibe").hidden = !reason;
  if (!hasMetrics) return;
  const on = counts?.summary || (counts?.labelled != null && counts?.total != null
    ? `on ${counts.labelled} of ${counts.total} labelled documents` : "");
  $("vibe-on").textContent = on ? ` (${on})` : "";
  const metrics = Object.entries(evaluation.metrics)
    .filter(([, v]) => typeof v === "number" || v === null)
    .map(([k, v]) => el("tr", { "data-metric": k }, el("th", { scope: "row" }, tip(k.replace(/_/g, " "), explainMetric(k))),
      cell(v === null ? "n/a" : v.toFixed(3))));
  $("metrics-table").tBodies[0].replaceChildren(...metrics);
  const vibeRows = (evaluation.vibe_check || []).map((r) => el("tr", {},
    el("th", { scope: "row" }, r.id), cell(r.text), cell((r.human_topics || []).join(", ")),
    cell((r.model_topics || []).join(", "))));
  $("vibe-table").tBodies[0].replaceChildren(...vibeRows);
}
