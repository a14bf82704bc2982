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

function showAuth(message) {
  $("auth").hidden = false;
  $("auth-message").textContent = message || "";
  $("connection").textContent = "API key needed";
  $("auth-key").focus();
}

async function connect() {
  try {
    const models = await api.get("/v1/models");
    $("auth").hidden = true;
    $("connection").textContent = `Connected · model ${models.data?.[0]?.id ?? "?"}`;
    window.dispatchEvent(new CustomEvent("medici:connected"));
    return true;
  } catch (e) {
    if (e.status === 401) {
      showAuth(api.getKey() ? "The API key was refused (401 Unauthorized): check it and try again." : "");
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
  window.addEventListener("medici:unauthorized", () => {
    showAuth(api.getKey() ? "The API key was refused (401 Unauthorized): check it and try again."
      : "This service needs an API key.");
  });
}

initTabs();
initAuth();
initTopics();
initDocuments();
initAgent();
connect();
