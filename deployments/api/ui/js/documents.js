// Documents view: search in the three modes with metadata filters, browse page by page (the same filter,
// the "Results" count as the page size, by id or newest added first), open, add and delete. Adding an id
// that is stored already asks first, and the reply says how many were added and how many replaced.
// Routes the server lacks (listing, fetching one, deleting) answer 404/405: shown as messages.
import * as api from "./api.js";
import { definitions, el, EXPLAIN, tip } from "./dom.js";

const $ = (id) => document.getElementById(id);
let offset = 0;

const pageSize = () => Math.min(100, Math.max(1, Number($("search-k").value) || 20));

/** An ISO time as the reader's local date and time to the minute, or "" when there is none. */
export function when(iso) {
  if (!iso) return "";
  const t = new Date(iso);
  return isNaN(t) ? "" : t.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** `key=value` lines to a filter object; a value that parses as JSON (number, true, null) keeps its type. */
export function parseFilter(text) {
  const filter = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at <= 0) throw new Error(`filter line ${i + 1}: write key=value`);
    const value = line.slice(at + 1).trim();
    let parsed = value;
    try { parsed = JSON.parse(value); } catch { /* a plain string */ }
    filter[line.slice(0, at).trim()] = parsed;
  }
  return filter;
}

function item(doc, mode) {
  const open = el("button", { type: "button", class: "secondary", "aria-label": `Open ${doc.id}` }, "Open");
  const remove = el("button", { type: "button", class: "danger", "aria-label": `Delete ${doc.id}` }, "Delete");
  open.addEventListener("click", () => openDocument(doc));
  remove.addEventListener("click", () => deleteDocument(doc.id));
  const text = String(doc.text || "");
  const meta = el("div", { class: "meta" });
  const parts = [];
  if (doc.score != null) parts.push(tip(`${mode} score ${Number(doc.score).toFixed(3)}`, EXPLAIN[mode]));
  if (doc.added_at) parts.push(el("span", { class: "added", "data-added": doc.added_at }, `added ${when(doc.added_at)}`));
  if (doc.metadata && Object.keys(doc.metadata).length) parts.push(JSON.stringify(doc.metadata));
  parts.forEach((p, i) => meta.append(...(i ? [" · ", p] : [p])));
  return el("li", { "data-id": doc.id }, el("strong", {}, doc.id), el("div", {}, text.length > 240 ? `${text.slice(0, 239)}…` : text),
    parts.length ? meta : null, el("div", { class: "actions" }, open, remove));
}

function showList(docs, status, mode) {
  $("docs-results").replaceChildren(...docs.map((d) => item(d, mode)));
  $("docs-status").textContent = status;
}

async function search(event) {
  event.preventDefault();
  $("search-error").textContent = "";
  $("docs-pager").hidden = true;
  try {
    const filter = parseFilter($("search-filter").value);
    const body = { query: $("search-query").value, k: Number($("search-k").value) || 5,
      mode: document.querySelector("input[name=mode]:checked").value };
    if (Object.keys(filter).length) body.filter = filter;
    $("docs-status").textContent = "Searching…";
    const answer = await api.post("/v1/documents/search", body);
    const n = answer.results.length;
    showList(answer.results, `${n} ${n === 1 ? "result" : "results"} (${body.mode})`, body.mode);
  } catch (e) {
    $("docs-status").textContent = "";
    $("search-error").textContent = api.describe(e);
  }
}

async function browse(at = 0) {
  $("search-error").textContent = "";
  try {
    const filter = parseFilter($("search-filter").value);
    const size = pageSize();
    const order = $("browse-order").value;
    const query = new URLSearchParams({ limit: String(size), offset: String(at), order });
    if (Object.keys(filter).length) query.set("filter", JSON.stringify(filter));
    const answer = await api.get(`/v1/documents?${query}`);
    const docs = answer.documents || answer.data || [];
    offset = at;
    const total = answer.total ?? docs.length;
    const filtered = Object.keys(filter).length ? ` matching ${Object.entries(filter).map(([k, v]) => `${k}=${v}`).join(", ")}` : "";
    const by = order === "added" ? "newest added first" : "by id";
    showList(docs, docs.length ? `Documents ${at + 1}–${at + docs.length} of ${total}${filtered}, ${by}.`
      : `No documents${filtered}.`);
    $("docs-pager").hidden = total <= size;
    $("docs-prev").disabled = at === 0;
    $("docs-next").disabled = at + size >= total;
  } catch (e) {
    $("search-error").textContent = e.status === 404 || e.status === 405
      ? "This server cannot list documents; search instead." : api.describe(e);
  }
}

async function openDocument(known) {
  const panel = $("doc-detail");
  let doc = known, note = "";
  try {
    doc = await api.get(`/v1/documents/${encodeURIComponent(known.id)}`);
  } catch (e) {
    note = known.text ? `Shown from the search result: ${api.describe(e)}` : api.describe(e);
  }
  $("doc-detail-body").replaceWith(definitions([["Id", doc.id], ["Text", doc.text],
    ["Metadata", doc.metadata && Object.keys(doc.metadata).length ? JSON.stringify(doc.metadata, null, 2) : ""],
    ["Added", when(doc.added_at)], ["Replaced", doc.updated_at && doc.updated_at !== doc.added_at ? when(doc.updated_at) : ""],
    ["Note", note]], { id: "doc-detail-body" }));
  panel.hidden = false;
  panel.focus();
}

async function deleteDocument(id) {
  if (!window.confirm(`Delete document ${id}?`)) return;
  try {
    await api.del(`/v1/documents/${encodeURIComponent(id)}`);
    document.querySelector(`#docs-results li[data-id="${CSS.escape(id)}"]`)?.remove();
    $("docs-status").textContent = `Deleted ${id}.`;
  } catch (e) {
    $("search-error").textContent = api.describe(e);
  }
}

/** The stored document with this id, or null when there is none (or the server cannot fetch one). */
async function stored(id) {
  try {
    return await api.get(`/v1/documents/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e.status === 404 || e.status === 405) return null;
    throw e;
  }
}

async function add(event) {
  event.preventDefault();
  const message = $("add-message");
  message.className = "";
  message.textContent = "";
  try {
    const raw = $("add-metadata").value.trim();
    const metadata = raw ? JSON.parse(raw) : null;
    if (metadata !== null && (typeof metadata !== "object" || Array.isArray(metadata))) throw new Error("metadata must be a JSON object");
    const clear = $("add-clear-metadata").checked;
    const doc = { id: $("add-id").value.trim(), text: $("add-text").value,
      ...(metadata ? { metadata } : clear ? { metadata: null } : {}) };
    const existing = await stored(doc.id);
    if (existing) {
      const since = when(existing.added_at);
      const keeps = metadata ? "its metadata becomes the one given here" : clear ? "its metadata is cleared"
        : "its metadata is kept";
      if (!window.confirm(`A document with id ${doc.id} is stored already${since ? ` (added ${since})` : ""}. ` +
        `Replace its text? (${keeps})`)) {
        message.textContent = `Not stored: ${doc.id} is kept as it was.`;
        return;
      }
    }
    const answer = await api.post("/v1/documents", { documents: [doc] });
    const counts = answer.updated != null ? `${answer.added} added, ${answer.updated} replaced` : `${answer.added} stored`;
    message.textContent = `Stored ${doc.id}: ${counts} (${answer.total} in the store).`;
    event.target.reset();
  } catch (e) {
    message.className = "error";
    message.textContent = e instanceof SyntaxError ? `Metadata is not JSON: ${e.message}` : api.describe(e);
  }
}

export function initDocuments() {
  $("search-form").addEventListener("submit", search);
  $("add-form").addEventListener("submit", add);
  $("browse").addEventListener("click", () => browse(0));
  $("docs-prev").addEventListener("click", () => browse(Math.max(0, offset - pageSize())));
  $("docs-next").addEventListener("click", () => browse(offset + pageSize()));
  // the agent's sources open here: {detail: {id}}
  window.addEventListener("medici:open-document", (e) => openDocument({ id: e.detail.id }));
}
