// Entry point: tabs (arrow keys move between them, as the WAI-ARIA tabs pattern has it), the API-key
// prompt, and the three views. A 401 from any call brings the key prompt back with a clear message.
import * as api from "./api.js";
import { initTopics } from "./topics.js";
import { initDocuments } from "./documents.js";
import { initAgent } from "./agent.js";

const $ = (id) => document.getElementById(id);

function initTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    tab.focus();
    history.replaceState(null, "", `#${tab.id.replace("tab-", "")}`);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
      if (!(e.key in moves)) return;
      e.preventDefault();
      select(tabs[(moves[e.key] + tabs.length) % tabs.length]);
    });
  });
  const fromHash = () => {
    const tab = tabs.find((t) => `#${t.id.replace("tab-", "")}` === location.hash);
    if (tab && tab.getAttribute("aria-selected") !== "true") select(tab);
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
}

function showAuth(message, changing = false) {
  $("auth").hidden = false;
  $("auth-message").textContent = message || "";
  $("auth-cancel").hidden = !changing;
  if (!changing) $("connection").textContent = "API key needed";
  $("auth-key").focus();
}

const ROLE_TEXT = { admin: "key: admin", user: "key: user (read only)" };

/** The badge beside the connection: "open: no API key" on an open service, else the stored key's role,
 * with the buttons to change or forget the key (forget only when one is stored). */
function showAuthState(status) {
  const badge = $("auth-badge");
  const open = status?.auth === "open";
  badge.hidden = !status;
  badge.className = `auth-badge ${open ? "open" : "keyed"}`;
  badge.textContent = open ? "open: no API key" : ROLE_TEXT[status?.role] || "";
  badge.title = open ? "No API key is set on the server: anyone who can reach it can read, add and delete documents "
    + "and start jobs. The operator sets MEDICI_API_KEY to close it."
    : status?.role === "user" ? "This key can search, ask and read topics, but not write documents or start jobs "
      + "that read a URI." : "This key can do everything.";
  if (!badge.textContent) badge.hidden = true;
  $("key-change").hidden = !status || open && !api.getKey();
  $("key-forget").hidden = !api.getKey();
}

async function connect() {
  try {
    const status = await api.authStatus();
    if (status?.auth === "key" && !status.role) {
      showAuthState(null);
      showAuth(api.getKey() ? "The API key was refused: check it and try again, or forget it." : "");
      $("key-forget").hidden = !api.getKey();
      return false;
    }
    const models = await api.get("/v1/models");
    $("auth").hidden = true;
    $("connection").textContent = `Connected · model ${models.data?.[0]?.id ?? "?"}`;
    showAuthState(status ?? (api.getKey() ? { auth: "key", role: null } : null));
    window.dispatchEvent(new CustomEvent("medici:connected"));
    return true;
  } catch (e) {
    if (e.status === 401) {
      showAuth(api.getKey() ? "The API key was refused (401 Unauthorized): check it and try again." : "");
      $("key-forget").hidden = !api.getKey();
    } else {
      $("connection").textContent = `Not connected: ${api.describe(e)}`;
    }
    return false;
  }
}

function initAuth() {
  $("auth-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("auth-key");
    api.setKey(input.value.trim());
    input.value = "";
    $("auth-message").textContent = "Checking the key…";
    if (await connect()) $("auth-message").textContent = "";
  });
  $("auth-cancel").addEventListener("click", () => { $("auth").hidden = true; });
  $("key-change").addEventListener("click", () => showAuth("", true));
  $("key-forget").addEventListener("click", () => {
    api.setKey(null);
    $("auth").hidden = true;
    connect();
  });
  window.addEventListener("medici:unauthorized", () => {
    showAuth(api.getKey() ? "The API key was refused (401 Unauthorized): check it and try again."
      : "This service needs an API key.");
    $("key-forget").hidden = !api.getKey();
  });
}

initTabs();
initAuth();
initTopics();
initDocuments();
initAgent();
connect();
