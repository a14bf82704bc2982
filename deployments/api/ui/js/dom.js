// Two tiny DOM helpers, so every view builds elements the same way and text is always set as text
// (never as HTML: document texts and model output must not be able to inject markup).

/** An element with attributes and children (strings become text nodes; null/false are skipped). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A table cell holding `text`, with an optional class. */
export function cell(text, className) {
  return el("td", className ? { class: className } : {}, text ?? "");
}

/** A <dl> from [term, value] pairs, skipping empty values. */
export function definitions(pairs, attrs = {}) {
  const dl = el("dl", attrs);
  for (const [term, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    dl.append(el("dt", {}, term), el("dd", {}, value));
  }
  return dl;
}

/** `text` with a one-line explanation shown on hover and on keyboard focus (a CSS tooltip, so it also works
 * without a mouse); screen readers read it as the element's description. */
export function tip(text, explanation, tag = "span") {
  if (!explanation) return el(tag, {}, text);
  return el(tag, { class: "tip", tabindex: "0", "data-tip": explanation },
    text, el("span", { class: "tip-text", role: "tooltip" }, explanation));
}

/** What each score and metric means, in one line: the console's tooltips. */
export const EXPLAIN = {
  hybrid: "Hybrid score: reciprocal-rank fusion of the semantic and keyword ranks (higher is better; about 0.03 at the top)",
  semantic: "Semantic score: cosine similarity of the query's and the document's embeddings (-1 to 1)",
  keyword: "Keyword score: BM25 relevance of the query's words in the document (0 and up, no upper bound)",
  nmi: "NMI, normalised mutual information of the primary human and model topics (0 = unrelated, 1 = the same grouping)",
  ari: "ARI, adjusted Rand index: agreement on every pair of documents, corrected for chance (0 = chance, 1 = identical)",
  chuang_rescaled_dot_product: "Chuang's rescaled dot product: how well each human topic's words match its best model topic's (0 to 1)",
  label_f1: "Label F1: how closely the model's topic names match the human topics in meaning, above chance (0 = unrelated names, 1 = the same)",
  label_precision: "Label precision: share of the model's topic names close in meaning to a human topic (0 to 1)",
  label_recall: "Label recall: share of the human topics close in meaning to a model topic name (0 to 1)",
  label_baseline: "Label baseline: the mean cosine of a human and a model label of two different documents, the chance level that label F1 is rescaled from",
  trend_agreement: "Trend agreement: share of human topics whose rising/fading/steady status the matching model topic shares",
};

/** The explanation for a metric key such as `nmi` or `label_f1`, or "" for one it does not know. */
export function explainMetric(key) {
  return EXPLAIN[String(key).toLowerCase()] || "";
}
