// Agent view: each step (thought, action, input, observation, latency) is appended as its server-sent
// event arrives, then the answer with where it came from (which observation or calculation). A server
// whose agent route does not stream yet answers the same question without `stream`: the steps then
// appear together, and the page says so. A run that did not finish (max_steps, a guard) says so instead of
// "Done.", and the answer's sources are links to the documents it came from.
import * as api from "./api.js";
import { definitions, el } from "./dom.js";

const FINISHED = new Set(["final_answer", "answer", "finished", "done", "stop"]);
const REASONS = {
  max_steps: "it reached the most steps allowed",
  repeated_action: "a guard stopped a repeated action; the answer is read from the observations",
};

const $ = (id) => document.getElementById(id);

function addStep(index, step) {
  const li = el("li", { id: `step-${index}`, class: "step", "data-index": String(index) },
    definitions([
      ["Thought", step.thought],
      ["Action", step.action],
      ["Input", step.action_input],
      ["Observation", step.observation],
      ["Latency", step.latency_s != null ? `${Number(step.latency_s).toFixed(2)} s` : ""],
    ]));
  $("agent-steps").append(li);
  $("agent-status").textContent = `Step ${index + 1}: ${step.action || "thinking"}`;
}

function sourceText(source, steps) {
  if (!source || !source.kind) return "";
  const n = source.step;
  const step = n != null ? steps[n] : null;
  const which = n != null ? `step ${n + 1}` : "";
  if (source.kind === "observation") return `From the observation of ${which}${step ? ` (${step.action})` : ""}`;
  if (source.kind === "calculation") return `From the calculation of ${which}${step ? `: ${step.action_input}` : ""}`;
  return "Written by the model (no observation holds it)";
}

/** The document ids a step read: "[id] text" hits of a search, the id a lookup names. */
function stepDocuments(step) {
  if (!step) return [];
  if (step.action === "search") return [...String(step.observation || "").matchAll(/\[([^\]\s][^\]]*)\]/g)].map((m) => m[1]);
  if (step.action === "lookup") return [String(step.action_input || "").split(",")[0].trim().replace(/^[[\]"']+|[[\]"']+$/g, "")].filter(Boolean);
  return [];
}

/** The documents the answer came from: the server's `sources` when it sends them; else the documents of the
 * step the answer was read from, or, for a calculation, of the earlier steps whose observations hold one of
 * its numbers. */
export function answerDocuments(answer) {
  const given = answer.sources;
  if (Array.isArray(given)) {
    return [...new Set(given.map((s) => (typeof s === "string" ? s : s?.id ?? s?.document_id)).filter(Boolean))];
  }
  const steps = answer.steps || [];
  const source = answer.answer_source || {};
  if (source.step == null) return [];
  const step = steps[source.step];
  if (source.kind === "observation") return [...new Set(stepDocuments(step))];
  if (source.kind !== "calculation" || !step) return [];
  const numbers = String(step.action_input || "").match(/\d+(?:\.\d+)?/g) || [];
  const ids = steps.slice(0, source.step).filter((s) => numbers.some((x) => String(s.observation || "").includes(x)))
    .flatMap(stepDocuments);
  return [...new Set(ids)];
}

function sourceLinks(ids) {
  if (!ids.length) return [];
  const links = ids.map((id) => {
    const a = el("a", { href: "#documents", class: "doc-link", "data-id": id }, id);
    a.addEventListener("click", (e) => {
      e.preventDefault();
      document.getElementById("tab-documents").click();
      window.dispatchEvent(new CustomEvent("medici:open-document", { detail: { id } }));
    });
    return a;
  });
  return [ids.length === 1 ? " Source: document " : " Sources: documents ", ...links.flatMap((a, i) => (i ? [", ", a] : [a])), "."];
}

/** Whether the run reached its own final answer: the server's `stopped_early` when it sends it, else the
 * stop reason. */
export function finished(answer) {
  if (typeof answer.stopped_early === "boolean") return !answer.stopped_early;
  return !answer.stop_reason || FINISHED.has(answer.stop_reason);
}

/** "Done." for a finished run; "Stopped before finishing (reason)." for one a limit or a guard ended. */
export function stopText(reason, done = !reason || FINISHED.has(reason)) {
  if (done) return reason ? "Done." : "Done (the server gave no stop reason).";
  return `Stopped before finishing (${reason || "no reason given"}: ${REASONS[reason] || "the run did not reach a final answer"}).`;
}

function showAnswer(answer) {
  const steps = answer.steps || [];
  $("agent-answer").hidden = false;
  $("agent-answer-text").textContent = answer.answer || "(no answer)";
  const source = answer.answer_source;
  const from = sourceText(source, steps);
  $("agent-answer-source").replaceChildren(...(from ? [`${from}.`] : []), ...sourceLinks(answerDocuments(answer)));
  document.querySelectorAll("#agent-steps li.source").forEach((li) => li.classList.remove("source"));
  if (source?.step != null) $(`step-${source.step}`)?.classList.add("source");
  const usage = answer.usage || {};
  const done = finished(answer);
  $("agent-answer").classList.toggle("unfinished", !done);
  $("agent-answer-title").textContent = done ? "Answer" : "Answer (unfinished: check it against the steps)";
  $("agent-answer-meta").textContent = `${steps.length} steps` +
    (usage.total_tokens != null ? ` · ${usage.total_tokens} tokens` : "") +
    (answer.stop_reason ? ` · stop reason: ${answer.stop_reason}` : "");
  $("agent-status").textContent = stopText(answer.stop_reason, done);
  $("agent-status").className = done ? "muted" : "warning";
}

async function ask(event) {
  event.preventDefault();
  const button = $("agent-ask");
  $("agent-error").textContent = "";
  $("agent-steps").replaceChildren();
  $("agent-answer").hidden = true;
  $("agent-status").className = "muted";
  const body = { question: $("agent-question").value };
  const maxSteps = Number($("agent-max-steps").value);
  if (maxSteps) body.max_steps = maxSteps;
  button.disabled = true;
  $("agent-status").textContent = "Thinking…";
  try {
    let answered = false;
    let reply;
    try {
      reply = await api.stream("/v1/agent/ask", { ...body, stream: true }, (event) => {
        if (event.type === "step") addStep(event.index ?? $("agent-steps").children.length, event.step || {});
        else if (event.type === "answer") { answered = true; showAnswer(event); }
      });
    } catch (e) {
      if (!(e.status === 400 && e.param === "stream")) throw e;
      $("agent-status").textContent = "This server does not stream steps: they will appear together.";
      reply = await api.post("/v1/agent/ask", body);
    }
    if (reply !== "stream") {
      (reply.steps || []).forEach((step, i) => addStep(i, step));
      showAnswer(reply);
    } else if (!answered) {
      $("agent-error").textContent = "The stream ended without an answer.";
    }
  } catch (e) {
    $("agent-status").textContent = "";
    $("agent-error").textContent = api.describe(e);
  } finally {
    button.disabled = false;
  }
}

export function initAgent() {
  $("agent-form").addEventListener("submit", ask);
}
