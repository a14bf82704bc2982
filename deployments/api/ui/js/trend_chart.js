// The interactive trend chart: uPlot (vendored) draws one line per topic over the windows; its
// legend shows each topic's count for the window under the cursor. Rising and new topics are thick
// and warm, fading ones dashed and cool, steady ones thin and grey, and each legend row carries its
// status as a class and a data attribute, so the highlight is readable without colour too.
import uPlot from "../vendor/uplot/uPlot.esm.js";

const STYLE = {
  rising: { stroke: ["#b42318", "#c4320a", "#9f1239"], width: 3.5, dash: undefined },
  new: { stroke: ["#b54708", "#a15c07"], width: 3.5, dash: undefined },
  fading: { stroke: ["#1d4ed8", "#0e7490", "#4338ca"], width: 2, dash: [8, 5] },
  steady: { stroke: ["#8a8a8a", "#a3a3a3", "#737373"], width: 1.25, dash: undefined },
};
const ORDER = { rising: 0, new: 1, fading: 2, steady: 3 };

/** The topics worth drawing: every rising, new or fading one, then the largest steady ones, up to `most`. */
export function chartTopics(trendTopics, most = 10) {
  const total = (t) => t.counts.reduce((a, b) => a + b, 0);
  const marked = trendTopics.filter((t) => t.status !== "steady");
  const steady = trendTopics.filter((t) => t.status === "steady").sort((a, b) => total(b) - total(a));
  return [...marked, ...steady.slice(0, Math.max(0, most - marked.length))]
    .sort((a, b) => ORDER[a.status] - ORDER[b.status] || total(b) - total(a));
}

let current = null;
let resizeBound = false;

function widthOf(el) {
  return Math.max(280, el.clientWidth || el.parentElement.clientWidth || 600);
}

/** Draw `trends` ({windows, topics: [{label, status, counts}]}) into `el`, replacing any chart there. */
export function drawTrends(el, trends) {
  if (current) { current.destroy(); current = null; }
  el.replaceChildren();
  const windows = trends.windows || [];
  const topics = chartTopics(trends.topics || []);
  if (!windows.length || !topics.length) {
    el.textContent = "No dated documents: there is no trend to draw.";
    return null;
  }
  const used = { rising: 0, new: 0, fading: 0, steady: 0 };
  const series = [{ label: "Window", value: (u, i) => (i == null ? "—" : windows[i]) }];
  for (const t of topics) {
    const style = STYLE[t.status] || STYLE.steady;
    series.push({
      label: t.label,
      stroke: style.stroke[used[t.status]++ % style.stroke.length],
      width: style.width,
      dash: style.dash,
      points: { show: windows.length <= 24 },
      value: (u, v) => (v == null ? "—" : String(v)),
    });
  }
  const narrow = widthOf(el) < 500;
  const opts = {
    width: widthOf(el),
    height: narrow ? 260 : 340,
    series,
    scales: { x: { time: false } },
    axes: [
      { values: (u, ticks) => ticks.map((i) => windows[i] ?? ""), incrs: [1, 2, 3, 4, 6, 12, 24, 52] },
      { label: "documents", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    ],
    cursor: { drag: { x: false, y: false }, focus: { prox: 16 } },
    focus: { alpha: 0.35 },
    legend: { live: true },
  };
  const data = [windows.map((_, i) => i), ...topics.map((t) => t.counts)];
  current = new uPlot(opts, data, el);
  const rows = el.querySelectorAll(".u-legend tr.u-series");
  topics.forEach((t, i) => {
    const row = rows[i + 1];
    if (!row) return;
    row.classList.add(`trend-${t.status}`);
    row.dataset.status = t.status;
    row.dataset.topic = t.label;
  });
  el.dataset.windows = String(windows.length);
  if (!resizeBound) {
    resizeBound = true;
    window.addEventListener("resize", () => current && current.setSize({ width: widthOf(el), height: current.height }));
  }
  return current;
}
