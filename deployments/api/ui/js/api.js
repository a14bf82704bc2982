// The console's only way to the API: fetch() with the key as a Bearer header, OpenAI-style errors
// turned into ApiError, and a server-sent-event reader for POST streams (EventSource can neither POST
// nor send a header). The key lives in sessionStorage (this tab only) and is never put in a URL or logged.

const KEY_STORE = "medici.apiKey";

// The API sits where the console is mounted, minus "/ui/...": right under any Serve route prefix.
export const BASE = location.pathname.replace(/\/ui(\/.*)?$/, "");

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.type = error?.type || null;
    this.param = error?.param || null;
    this.code = error?.code || null;
  }
}

export function getKey() {
  return sessionStorage.getItem(KEY_STORE);
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = getKey();
  if (key) h["Authorization"] = `Bearer ${key}`;
  return h;
}

async function errorOf(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: keep the status */ }
  const error = new ApiError(response.status, body?.error);
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("medici:unauthorized", { detail: error }));
  }
  return error;
}

async function send(method, path, body) {
  let response;
  try {
    response = await fetch(BASE + path, {
      method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { message: `The service cannot be reached (${e.message}).`, type: "network_error" });
  }
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

export const get = (path) => send("GET", path);
export const post = (path, body) => send("POST", path, body);
export const del = (path) => send("DELETE", path);

/**
 * POST `body` and call `onEvent(obj)` for each `data:` event of the SSE reply, until `[DONE]`.
 * Returns "stream" when the reply was a stream, or the parsed JSON when the server answered plain JSON.
 * An event `{"error": {...}}` is thrown as an ApiError.
 */
export async function stream(path, body, onEvent) {
  let response;
  try {
    response = await fetch(BASE + path, { method: "POST", headers: headers(true), body: JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { message: `The service cannot be reached (${e.message}).`, type: "network_error" });
  }
  if (!response.ok) throw await errorOf(response);
  if (!(response.headers.get("content-type") || "").includes("text/event-stream")) return response.json();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return "stream";
      const parsed = JSON.parse(data);
      if (parsed.error) throw new ApiError(parsed.error.code && Number(parsed.error.code) || 500, parsed.error);
      onEvent(parsed);
    }
  }
  return "stream";
}

/** Text for a person: the server's own message (it names the line and the field), with what to do for the
 * statuses a person can act on. The field is added when the message does not name it already, under the
 * name the page gives it in `fields` ({param: label}; a null label leaves it out: the page's own input). */
export function describe(error, fields = {}) {
  if (!(error instanceof ApiError)) return String(error?.message || error);
  if (error.status === 401) return "The API key was refused: enter the right key and try again.";
  if (error.status === 403) return `${error.message}: this needs an admin key; use "Change key" at the top.`;
  if (error.status === 0) return error.message;
  const label = error.param in fields ? fields[error.param] : error.param;
  const field = label && !error.message.includes(error.param) ? ` (field ${label})` : "";
  const server = error.status >= 500 ? ` (server error, HTTP ${error.status})` : "";
  return `${error.message}${field}${server}`;
}

/** The service's auth state, {auth: "open" | "key", role: "admin" | "user" | null}, or null from a server
 * without the route (it predates it: then the console learns about keys from a 401). */
export async function authStatus() {
  try {
    return await get("/v1/auth/status");
  } catch (e) {
    if (e.status === 404 || e.status === 405) return null;
    throw e;
  }
}
