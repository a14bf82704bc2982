// The interactive trend chart: uPlot (vendored) draws one line per topic over the windows; its legend
// shows each topic's value for the window under the cursor, and clicking a legend entry isolates that
// topic (clicking it again shows them all). Every topic gets its own colour from a categorical palette;
// the status is drawn as well as coloured (rising and new thick, fading dashed, steady thin) and is
// written in the legend, so it reads without colour too. The page chooses count or share, and the top
// topics or all of them.
import uPlot from "../vendor/uplot/uPlot.esm.js";

// 20 hues picked greedily for the largest smallest CIELAB distance between any two (all at least 28),
// each with a contrast of 3:1 or more on white; past 20 topics the colours repeat with a dotted line.
export const PALETTE = [
  "#1f77b4", "#f85204", "#429f17", "#fe23bf", "#5e410d", "#1a3cd1", "#7b2556", "#369b84", "#e42454", "#a874d9",
  "#c47b04", "#c5766e", "#175216", "#891e08", "#8c9041", "#9813aa", "#288aff", "#e35b98", "#203f9c", "#b279aa",
];
const WIDTH = { rising: 3.5, new: 3.5, fading: 2, steady: 1.75 };
const ORDER = { rising: 0, new: 1, fading: 2, steady: 3 };
export const TOP = 10;

const total = (t) => t.counts.reduce((a, b) => a + b, 0);

/** Every topic in the order it is coloured and drawn: rising, new, fading, steady; larger first in each. */
export function orderTopics(trendTopics) {
  return [...trendTopics].sort((a, b) => (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3) || total(b) - total(a));
}

/** The topics worth drawing when not all are: every rising, new or fading one, then the largest steady ones. */
export function chartTopics(trendTopics, most = TOP) {
  const ordered = orderTopics(trendTopics);
  const marked = ordered.filter((t) => t.status !== "steady");
  const steady = ordered.filter((t) => t.status === "steady");
  const keep = new Set([...marked, ...steady.slice(0, Math.max(0, most - marked.length))]);
  return ordered.filter((t) => keep.has(t));
}

/** Documents per window: the server's `totals` when it sends them, else the topics' counts summed. */
function windowTotals(trends, topics) {
  if (Array.isArray(trends.totals) && trends.totals.length === trends.windows.length) return trends.totals;
  return trends.windows.map((_, i) => topics.reduce((a, t) => a + (t.counts[i] || 0), 0));
}

let current = null;
let resizeBound = false;

function widthOf(el) {
  return Math.max(280, el.clientWidth || el.parentElement.clientWidth || 600);
}

/** The widest x label in pixels, in the axis font: it sets the space between ticks and the right padding
 * that keeps the last label inside the canvas. */
function widestLabel(labels) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = "12px system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif";
  return Math.ceil(Math.max(0, ...labels.map((l) => ctx.measureText(l).width)));
}

/**
 * Draw `trends` ({windows, totals?, topics: [{label, status, counts}]}) into `el`, replacing any chart there.
 * `options.all` draws every topic instead of the top ones; `options.share` draws each topic's share of the
 * window's documents instead of its count. Returns {shown, of} (topics drawn and topics in all), or null.
 */
export function drawTrends(el, trends, options = {}) {
  if (current) { current.destroy(); current = null; }
  el.replaceChildren();
  const windows = trends.windows || [];
  const every = orderTopics(trends.topics || []);
  if (!windows.length || !every.length) {
    el.textContent = "No dated documents: there is no trend to draw.";
    return null;
  }
  const colour = new Map(every.map((t, i) => [t.label, i]));
  const topics = options.all ? every : chartTopics(every);
  const totals = windowTotals(trends, every);
  const share = Boolean(options.share);
  const fmt = share ? (v) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%` : (v) => String(v);
  const series = [{ label: "Window", value: (u, i) => (i == null ? "—" : windows[i]) }];
  for (const t of topics) {
    const i = colour.get(t.label);
    const cycle = Math.floor(i / PALETTE.length);
    series.push({
      label: t.label,
      stroke: PALETTE[i % PALETTE.length],
      width: WIDTH[t.status] ?? WIDTH.steady,
      dash: t.status === "fading" ? [8, 5] : cycle ? [2, 3] : undefined,
      points: { show: windows.length <= 24 },
      value: (u, v) => (v == null ? "—" : fmt(v)),
    });
  }
  const narrow = widthOf(el) < 500;
  const widest = widestLabel(windows);
  const values = topics.map((t) => (share ? t.counts.map((c, w) => (totals[w] ? c / totals[w] : 0)) : t.counts));
  const opts = {
    width: widthOf(el),
    height: narrow ? 260 : 340,
    series,
    padding: [12, Math.ceil(widest / 2) + 12, 0, 0],
    scales: { x: { time: false }, y: share ? { range: (u, lo, hi) => [0, Math.min(1, Math.max(0.05, hi * 1.1))] } : {} },
    axes: [
      { values: (u, ticks) => ticks.map((i) => windows[i] ?? ""), incrs: [1, 2, 3, 4, 6, 12, 24, 52], space: widest + 16 },
      share ? { label: "share of the window's documents", incrs: [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5],
        values: (u, ticks) => ticks.map((v) => `${Math.round(v * 100)}%`) }
        : { label: "documents", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    ],
    cursor: { drag: { x: false, y: false }, focus: { prox: 16 } },
    focus: { alpha: 0.35 },
    legend: { live: true, isolate: true },
  };
  current = new uPlot(opts, [windows.map((_, i) => i), ...values], el);
  const rows = el.querySelectorAll(".u-legend tr.u-series");
  topics.forEach((t, i) => {
    const row = rows[i + 1];
    if (!row) return;
    row.classList.add(`trend-${t.status}`);
    row.dataset.status = t.status;
    row.dataset.topic = t.label;
    row.title = "Click to show only this topic; click again to show all";
  });
  el.dataset.windows = String(windows.length);
  el.dataset.mode = share ? "share" : "count";
  el.chart = current; // for the page's tests: the drawn series, their colours and the axis positions
  if (!resizeBound) {
    resizeBound = true;
    window.addEventListener("resize", () => current && current.setSize({ width: widthOf(current.root.parentElement), height: current.height }));
  }
  return { shown: topics.length, of: every.length };
}
