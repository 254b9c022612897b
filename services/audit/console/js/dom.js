/**
 * Building the DOM from data without ever parsing data as markup: text goes in
 * through text nodes (textContent), attributes through setAttribute. The console
 * never parses a string as markup; its Content-Security-Policy also requires Trusted
 * Types, so any string-to-markup sink throws.
 */

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | null | undefined>} Attrs
 */

/**
 * @param {Element} node
 * @param {Attrs} attrs
 */
function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (/^on/i.test(name) || name === "style" || name === "srcdoc") throw new Error(`refusing to set ${name}`);
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
}

/**
 * @param {Node} node
 * @param {readonly Child[]} children
 */
function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/**
 * An HTML element with attributes and children (strings become text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * An SVG element.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * The element with this id, of the expected type.
 * @template {typeof HTMLElement} T
 * @param {string} id
 * @param {T} type
 * @returns {InstanceType<T>}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return /** @type {InstanceType<T>} */ (node);
}

/**
 * Replace a node's children.
 * @param {Element} node
 * @param {...Child} children
 */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/**
 * A <dl> of label → value rows; empty values are shown as "—".
 * @param {readonly (readonly [string, Child])[]} rows
 * @param {Attrs} [attrs]
 */
export function definitionList(rows, attrs = {}) {
  const dl = el("dl", attrs);
  for (const [label, value] of rows) dl.append(el("dt", {}, label), el("dd", {}, value === "" || value === null || value === undefined ? "—" : value));
  return dl;
}

/**
 * A table with a caption, a header row and rows of cells.
 * @param {string} caption
 * @param {readonly string[]} headers
 * @param {readonly (readonly Child[])[]} rows
 * @param {Attrs} [attrs]
 */
export function table(caption, headers, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))),
  );
}
