// Documents view: search in the three modes with metadata filters, browse page by page, open, add and
// delete. Routes the server lacks (listing, fetching one, deleting) answer 404/405: shown as messages.
import * as api from "./api.js";
import { definitions, el } from "./dom.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
let offset = 0;

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

function item(doc) {
  const open = el("button", { type: "button", class: "secondary", "aria-label": `Open ${doc.id}` }, "Open");
  const remove = el("button", { type: "button", class: "danger", "aria-label": `Delete ${doc.id}` }, "Delete");
  open.addEventListener("click", () => openDocument(doc));
  remove.addEventListener("click", () => deleteDocument(doc.id));
  const text = String(doc.text || "");
  const meta = [doc.score != null ? `score ${Number(doc.score).toFixed(3)}` : null,
    doc.metadata && Object.keys(doc.metadata).length ? JSON.stringify(doc.metadata) : null].filter(Boolean).join(" · ");
  return el("li", { "data-id": doc.id }, el("strong", {}, doc.id), el("div", {}, text.length > 240 ? `${text.slice(0, 239)}…` : text),
    meta ? el("div", { class: "meta" }, meta) : null, el("div", { class: "actions" }, open, remove));
}

function showList(docs, status) {
  $("docs-results").replaceChildren(...docs.map(item));
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
    showList(answer.results, `${n} ${n === 1 ? "result" : "results"} (${body.mode})`);
  } catch (e) {
    $("docs-status").textContent = "";
    $("search-error").textContent = api.describe(e);
  }
}

async function browse(at = 0) {
  $("search-error").textContent = "";
  try {
    const answer = await api.get(`/v1/documents?limit=${PAGE}&offset=${at}`);
    const docs = answer.data || answer.documents || [];
    offset = at;
    const total = answer.total ?? docs.length;
    showList(docs, docs.length ? `Documents ${at + 1}–${at + docs.length} of ${total}` : "No documents.");
    $("docs-pager").hidden = total <= PAGE;
    $("docs-prev").disabled = at === 0;
    $("docs-next").disabled = at + PAGE >= total;
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
    note = `Shown from the search result: ${api.describe(e)}`;
  }
  $("doc-detail-body").replaceWith(definitions([["Id", doc.id], ["Text", doc.text],
    ["Metadata", doc.metadata && Object.keys(doc.metadata).length ? JSON.stringify(doc.metadata, null, 2) : ""],
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

async function add(event) {
  event.preventDefault();
  const message = $("add-message");
  message.className = "";
  try {
    const raw = $("add-metadata").value.trim();
    const metadata = raw ? JSON.parse(raw) : null;
    if (metadata !== null && (typeof metadata !== "object" || Array.isArray(metadata))) throw new Error("metadata must be a JSON object");
    const doc = { id: $("add-id").value.trim(), text: $("add-text").value, ...(metadata ? { metadata } : {}) };
    const answer = await api.post("/v1/documents", { documents: [doc] });
    message.textContent = `Stored ${doc.id} (${answer.added} added, ${answer.total} in the store).`;
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
  $("docs-prev").addEventListener("click", () => browse(Math.max(0, offset - PAGE)));
  $("docs-next").addEventListener("click", () => browse(offset + PAGE));
}
