import { Child, h, s, scrollingTable } from './dom';
import { WEEKDAYS, count } from './format';

/**
 * Hand-made SVG charts: a few hundred lines instead of a charting library, drawn at the width of
 * their box (redrawn when it changes) so labels stay readable from 360 px up. Colours come from
 * the stylesheet (a colour-blind-safe palette, light and dark); every chart has its numbers in a
 * table one toggle away.
 */
export interface Series {
  name: string;
  values: Array<number | null>;
}

export interface ChartOptions {
  title: string;
  /** The first column's header in the table: Day, Week, Month. */
  periodName: string;
  labels: string[];
  series: Series[];
  kind: 'line' | 'stacked';
  format?: (value: number | null) => string;
  /** The axis ticks' format, when the values' own is too long for an axis. */
  tickFormat?: (value: number) => string;
  actions?: Child[];
}

const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 56 };
const LABEL_SPACING_PX = 76;

/** The smallest of 1, 2, 4, 8 × 10^k at or above `value` (at least 4), so the four gridlines fall on round numbers. */
function niceMaximum(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 4, 8]) if (factor * magnitude >= value) return factor * magnitude;
  return 10 * magnitude;
}

function legend(series: Series[]): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    ...series.map((item, index) => h('li', {}, h('span', { class: `swatch swatch-${index}`, 'aria-hidden': 'true' }), item.name)),
  );
}

function draw(plot: HTMLElement, options: ChartOptions): void {
  const format = options.format ?? ((value: number | null) => (value === null ? '—' : count(value)));
  const tickFormat = options.tickFormat ?? format;
  const width = Math.max(280, Math.floor(plot.clientWidth));
  const innerWidth = width - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const n = options.labels.length;
  const stackTotals = options.labels.map((_, index) => options.series.reduce((sum, item) => sum + (item.values[index] ?? 0), 0));
  const peaks =
    options.kind === 'stacked'
      ? stackTotals
      : options.series.flatMap((item) => item.values.filter((value): value is number => value !== null));
  const maximum = niceMaximum(Math.max(0, ...peaks));
  const y = (value: number) => MARGIN.top + innerHeight - (value / maximum) * innerHeight;
  const step = innerWidth / Math.max(1, n);
  const x = (index: number) => MARGIN.left + step * (index + 0.5);

  const svg = s('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, 'aria-hidden': 'true', focusable: 'false' });
  for (let tick = 0; tick <= 4; tick++) {
    const value = (maximum / 4) * tick;
    svg.append(
      s('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }),
      s('text', { class: 'tick', x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, tickFormat(value)),
    );
  }
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(innerWidth / LABEL_SPACING_PX))));
  options.labels.forEach((label, index) => {
    if (index % every === 0) svg.append(s('text', { class: 'tick', x: x(index), y: HEIGHT - 8, 'text-anchor': 'middle' }, label));
  });
  const describe = (index: number) =>
    `${options.labels[index]}: ${options.series.map((item) => `${item.name} ${format(item.values[index])}`).join(', ')}`;

  if (options.kind === 'stacked') {
    const gap = step > 6 ? Math.min(4, step * 0.15) : 0;
    options.labels.forEach((_, index) => {
      let base = 0;
      const group = s('g', {}, s('title', {}, describe(index)));
      options.series.forEach((item, seriesIndex) => {
        const value = item.values[index] ?? 0;
        if (value > 0)
          group.append(
            s('rect', {
              class: `fill-${seriesIndex}`,
              x: MARGIN.left + step * index + gap / 2,
              width: Math.max(1, step - gap),
              y: y(base + value),
              height: y(base) - y(base + value),
            }),
          );
        base += value;
      });
      svg.append(group);
    });
  } else {
    options.series.forEach((item, seriesIndex) => {
      let path = '';
      let drawing = false;
      item.values.forEach((value, index) => {
        if (value === null) {
          drawing = false;
          return;
        }
        path += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)},${y(value).toFixed(1)}`;
        drawing = true;
      });
      svg.append(s('path', { class: `line stroke-${seriesIndex}`, d: path }));
      if (n <= 62) {
        item.values.forEach((value, index) => {
          if (value !== null) svg.append(s('circle', { class: `dot fill-${seriesIndex}`, cx: x(index), cy: y(value), r: 2.5 }));
        });
      }
    });
    // Hover targets, one per period, naming every series' value.
    options.labels.forEach((_, index) =>
      svg.append(
        s(
          'rect',
          { class: 'hover', x: MARGIN.left + step * index, width: step, y: MARGIN.top, height: innerHeight },
          s('title', {}, describe(index)),
        ),
      ),
    );
  }
  plot.replaceChildren(svg);
}

/** Redraws when the box's width changes (a rotated phone, a resized window). */
function drawn(plot: HTMLElement, paint: () => void): void {
  let lastWidth = -1;
  new ResizeObserver(() => {
    if (plot.clientWidth === lastWidth) return;
    lastWidth = plot.clientWidth;
    paint();
  }).observe(plot);
}

export function chart(options: ChartOptions): HTMLElement {
  const format = options.format ?? ((value: number | null) => (value === null ? '—' : count(value)));
  const plot = h('div', { class: 'plot' });
  drawn(plot, () => draw(plot, options));
  const rows = options.labels.map((label, index) => [label, ...options.series.map((item) => format(item.values[index]))]);
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, h('h3', {}, options.title), h('div', { class: 'actions' }, ...(options.actions ?? []))),
    legend(options.series),
    plot,
    h(
      'details',
      {},
      h('summary', {}, `${options.title}: the numbers`),
      scrollingTable(`${options.title}, as a table`, [options.periodName, ...options.series.map((item) => item.name)], rows),
    ),
  );
}

export interface HeatCell {
  weekday: number;
  hour: number;
  messages: number;
}

const HEAT_LEVELS = 8;

function levelOf(value: number, maximum: number): number {
  return value === 0 ? 0 : Math.max(1, Math.ceil((value / maximum) * HEAT_LEVELS));
}

function drawHeatmap(plot: HTMLElement, cells: HeatCell[], timezone: string): void {
  const width = Math.max(280, Math.floor(plot.clientWidth));
  const left = 40;
  const top = 18;
  const cellWidth = (width - left - 4) / 24;
  const cellHeight = Math.min(30, Math.max(16, cellWidth));
  const maximum = Math.max(1, ...cells.map((cell) => cell.messages));
  const svg = s('svg', { width, height: top + cellHeight * 7 + 4, 'aria-hidden': 'true', focusable: 'false' });
  const hourEvery = cellWidth < 22 ? 3 : 2;
  for (let hour = 0; hour < 24; hour += hourEvery) {
    svg.append(
      s('text', { class: 'tick', x: left + cellWidth * (hour + 0.5), y: top - 5, 'text-anchor': 'middle' }, String(hour).padStart(2, '0')),
    );
  }
  WEEKDAYS.forEach((name, index) =>
    svg.append(s('text', { class: 'tick', x: left - 6, y: top + cellHeight * (index + 0.5) + 4, 'text-anchor': 'end' }, name.slice(0, 3))),
  );
  for (const cell of cells) {
    svg.append(
      s(
        'rect',
        {
          class: `heat heat-${levelOf(cell.messages, maximum)}`,
          x: left + cellWidth * cell.hour + 1,
          y: top + cellHeight * (cell.weekday - 1) + 1,
          width: Math.max(1, cellWidth - 2),
          height: cellHeight - 2,
          rx: 2,
          'data-weekday': cell.weekday,
          'data-hour': cell.hour,
          'data-messages': cell.messages,
        },
        s(
          'title',
          {},
          `${WEEKDAYS[cell.weekday - 1]} ${String(cell.hour).padStart(2, '0')}:00–${String(cell.hour).padStart(2, '0')}:59 ${timezone}: ${count(cell.messages)} messages`,
        ),
      ),
    );
  }
  plot.replaceChildren(svg);
}

/** Messages by weekday and hour of the day in METRICS_TIMEZONE: 168 cells. */
export function heatmap(cells: HeatCell[], timezone: string, actions: Child[]): HTMLElement {
  const plot = h('div', { class: 'plot' });
  drawn(plot, () => drawHeatmap(plot, cells, timezone));
  const maximum = Math.max(1, ...cells.map((cell) => cell.messages));
  const scale = h(
    'div',
    { class: 'heat-scale' },
    h('span', {}, 'fewer'),
    ...Array.from({ length: HEAT_LEVELS + 1 }, (_, level) =>
      s('svg', { width: 14, height: 14, 'aria-hidden': 'true' }, s('rect', { class: `heat heat-${level}`, width: 14, height: 14, rx: 2 })),
    ),
    h('span', {}, `more (up to ${count(maximum)} messages an hour)`),
  );
  const hours = Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, '0'));
  const rows = WEEKDAYS.map((name, index) => [
    name,
    ...hours.map((_, hour) => count(cells.find((cell) => cell.weekday === index + 1 && cell.hour === hour)?.messages ?? 0)),
  ]);
  const title = `Messages by weekday and hour (${timezone})`;
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, h('h3', {}, title), h('div', { class: 'actions' }, ...actions)),
    plot,
    scale,
    h('details', {}, h('summary', {}, `${title}: the numbers`), scrollingTable(`${title}, as a table`, ['Weekday', ...hours], rows)),
  );
}
