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
