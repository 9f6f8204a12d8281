/**
 * Elements are built with the DOM API only (never innerHTML), so nothing the API returns can
 * become markup, and the page runs under a Content-Security-Policy without inline script or style.
 */
export type Child = Node | string | number | null | undefined | false;
type AttributeValue = string | number | boolean | null | undefined;
type Attributes = Record<string, AttributeValue | ((event: Event) => void)>;

function fill(element: Element, attributes: Attributes, children: Child[]): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  fill(element, attributes, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  fill(element, attributes, children);
  return element;
}

/** A table in a scrolling box that keyboard users can reach and scroll. */
export function scrollingTable(label: string, head: Child[], rows: Child[][], numericFrom = 1): HTMLElement {
  const table = h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...head.map((cell, index) =>
          cell instanceof HTMLTableCellElement ? cell : h('th', { scope: 'col', class: index >= numericFrom ? 'num' : undefined }, cell),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((row) =>
        h(
          'tr',
          {},
          ...row.map((cell, index) =>
            index === 0 ? h('th', { scope: 'row' }, cell) : h('td', { class: index >= numericFrom ? 'num' : undefined }, cell),
          ),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': label }, table);
}
