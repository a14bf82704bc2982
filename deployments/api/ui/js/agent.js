// Agent view: each step (thought, action, input, observation, latency) is appended as its server-sent
// event arrives, then the answer with where it came from (which observation or calculation). A server
// whose agent route does not stream yet answers the same question without `stream`: the steps then
// appear together, and the page says so.
import * as api from "./api.js";
import { definitions, el } from "./dom.js";

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
  if (source.kind === "observation") return `From the observation of ${which}${step ? ` (${step.action})` : ""}.`;
  if (source.kind === "calculation") return `From the calculation of ${which}${step ? `: ${step.action_input}` : ""}.`;
  return "Written by the model (no observation holds it).";
}

function showAnswer(answer) {
  const steps = answer.steps || [];
  $("agent-answer").hidden = false;
  $("agent-answer-text").textContent = answer.answer || "(no answer)";
  const source = answer.answer_source;
  $("agent-answer-source").textContent = sourceText(source, steps);
  document.querySelectorAll("#agent-steps li.source").forEach((li) => li.classList.remove("source"));
  if (source?.step != null) $(`step-${source.step}`)?.classList.add("source");
  const usage = answer.usage || {};
  $("agent-answer-meta").textContent = `Stopped: ${answer.stop_reason || "?"} · ${steps.length} steps` +
    (usage.total_tokens != null ? ` · ${usage.total_tokens} tokens` : "");
  $("agent-status").textContent = "Done.";
}

async function ask(event) {
  event.preventDefault();
  const button = $("agent-ask");
  $("agent-error").textContent = "";
  $("agent-steps").replaceChildren();
  $("agent-answer").hidden = true;
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
