import {
  ActiveMembersRow,
  AudienceSplit,
  ChannelRow,
  ChannelSeries,
  Heatmap,
  MemberChannelRow,
  Query,
  SeriesRow,
  Summary,
  TimeZoneSplit,
  UserRow,
  UserSeries,
  getAllPages,
  getCsv,
  getJson,
} from './api';
import { chart, heatmap } from './charts';
import { Child, h, scrollingTable } from './dom';
import { WEEKDAYS, change, count, dayLabel, duration, periodLabel, share } from './format';
import { DayRange, MAX_TABLE_ROWS, TABLE_PAGE_ROWS, ViewState, daysBetween, previousRange, serializeState } from './state';

export interface ViewContext {
  token: string;
  state: ViewState;
  range: DayRange;
  teamId: string | undefined;
  /** A link to another state of the page, followed without a reload. */
  link(state: Partial<ViewState>, label: Child, attributes?: Record<string, string>): HTMLAnchorElement;
  navigate(state: Partial<ViewState>): void;
}

const PERIOD_NAMES = { day: 'Day', week: 'Week', month: 'Month' } as const;

export function teamQuery(context: ViewContext): Query {
  return { teamId: context.teamId, from: context.range.from, to: context.range.to };
}

/** Fetches the endpoint's own CSV for what is on screen and saves it. */
export function csvButton(context: ViewContext, path: string, query: Query, what: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary csv', 'data-csv': path }, 'CSV');
  button.setAttribute('aria-label', `Download ${what} as CSV`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { text, filename } = await getCsv(context.token, path, query);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
      const anchor = h('a', { href: url, download: filename.replace(/\.csv$/, `-${context.range.from}-${context.range.to}.csv`) });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

export function emptyNote(range: DayRange, what = 'activity'): HTMLElement {
  return h('p', { class: 'empty', role: 'status' }, `No ${what} between ${dayLabel(range.from)} and ${dayLabel(range.to)}.`);
}

const HEADLINES: Array<[keyof Summary, string]> = [
  ['messages', 'Messages'],
  ['humanMessages', 'Human messages'],
  ['threadsStarted', 'Threads started'],
  ['threadReplies', 'Thread replies'],
  ['reactions', 'Reactions'],
  ['activeMembers', 'Active members'],
  ['activeChannels', 'Active channels'],
];

function headlineCards(summary: Summary, previous: Summary, before: DayRange): HTMLElement {
  const span = `the previous ${count(daysBetween(before.from, before.to))} days (${dayLabel(before.from)} – ${dayLabel(before.to)})`;
  return h(
    'ul',
    { class: 'cards' },
    ...HEADLINES.map(([key, label]) => {
      const delta = change(summary[key], previous[key]);
      return h(
        'li',
        { class: 'card', 'data-metric': key },
        h('span', { class: 'card-label' }, label),
        h('span', { class: 'card-value' }, count(summary[key])),
        h(
          'span',
          { class: `card-change ${delta.direction}`, title: `${count(previous[key])} in ${span}` },
          delta.text,
          h('span', { class: 'visually-hidden' }, ` against ${count(previous[key])} in ${span}`),
        ),
      );
    }),
  );
}

export async function overview(context: ViewContext): Promise<HTMLElement> {
  const query = teamQuery(context);
  const before = previousRange(context.range);
  const granularity = context.state.granularity;
  const [summary, previous, active, series] = await Promise.all([
    getJson<Summary>(context.token, 'metrics/summary', query),
    getJson<Summary>(context.token, 'metrics/summary', { ...query, ...before }),
    getJson<{ data: ActiveMembersRow[] }>(context.token, 'metrics/active-members', query),
    getJson<{ data: SeriesRow[] }>(context.token, 'metrics/series', { ...query, granularity }),
  ]);
  const empty = summary.messages === 0 && summary.activeMembers === 0;
  return h(
    'div',
    {},
    section(
      'Overview',
      h('div', { class: 'section-actions' }, csvButton(context, 'metrics/summary', query, 'the headline numbers')),
      headlineCards(summary, previous, before),
      empty && emptyNote(context.range),
    ),
    !empty &&
      chart({
        title: 'Active members',
        periodName: 'Day',
        kind: 'line',
        labels: active.data.map((row) => periodLabel(row.date)),
        series: [
          { name: 'Daily (DAU)', values: active.data.map((row) => row.dau) },
          { name: 'Weekly (WAU)', values: active.data.map((row) => row.wau) },
          { name: 'Monthly (MAU)', values: active.data.map((row) => row.mau) },
        ],
        actions: [csvButton(context, 'metrics/active-members', query, 'active members per day')],
      }),
    !empty &&
      chart({
        title: `Messages per ${granularity}`,
        periodName: PERIOD_NAMES[granularity],
        kind: 'stacked',
        labels: series.data.map((row) => periodLabel(row.date, granularity)),
        series: [
          { name: 'By humans', values: series.data.map((row) => row.humanMessages) },
          { name: 'By bots', values: series.data.map((row) => row.messages - row.humanMessages) },
        ],
        actions: [csvButton(context, 'metrics/series', { ...query, granularity }, `messages per ${granularity}`)],
      }),
  );
}

interface Column<Row> {
  sort: string;
  label: string;
  cell(row: Row): Child;
  /** Names sort ascending first, numbers descending. */
  text?: boolean;
}

/** A table sorted by the API (`sort`), one click on a column header away from another order. */
function sortableTable<Row>(context: ViewContext, label: string, columns: Array<Column<Row>>, rows: Row[]): HTMLElement {
  const current = context.state.sort;
  const head = columns.map((column) => {
    const direction = current === column.sort ? 'ascending' : current === `-${column.sort}` ? 'descending' : undefined;
    const next =
      direction === 'descending'
        ? column.sort
        : direction === 'ascending'
          ? `-${column.sort}`
          : column.text
            ? column.sort
            : `-${column.sort}`;
    return h(
      'th',
      { scope: 'col', class: column.text ? undefined : 'num', 'aria-sort': direction ?? 'none' },
      h(
        'button',
        { type: 'button', class: 'sort', 'data-sort': column.sort, onclick: () => context.navigate({ sort: next }) },
        column.label,
        h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : '↕'),
      ),
    );
  });
  return scrollingTable(
    label,
    head,
    rows.map((row) => columns.map((column) => column.cell(row))),
  );
}

function named(link: HTMLAnchorElement, id: string): HTMLElement {
  return h('span', { class: 'named' }, link, h('small', {}, id));
}

/**
 * A first page of the API's rows (sorted by the API, as many as the URL's `rows`), and "Show more"
 * while the API may hold more: laying out a thousand rows costs more than the rest of the view.
 */
async function tableSection<Row>(
  context: ViewContext,
  title: string,
  path: string,
  columns: Array<Column<Row>>,
  emptyWhat: string,
): Promise<HTMLElement> {
  const query = (rows: number) => ({ ...teamQuery(context), sort: context.state.sort, limit: rows });
  const load = (rows: number) => getJson<{ data: Row[] }>(context.token, path, query(rows));
  const what = `the ${title.toLowerCase()} table`;
  const actions = h('div', { class: 'section-actions' }, csvButton(context, path, query(context.state.rows), what));
  const panel = section(title, actions);
  const show = (data: Row[], rows: number) => {
    actions.replaceChildren(csvButton(context, path, query(rows), what));
    if (data.length === 0) return [emptyNote(context.range, emptyWhat)];
    const shown = h('p', { class: 'help', role: 'status' }, `${count(data.length)} shown.`);
    if (data.length < rows || rows >= MAX_TABLE_ROWS) return [sortableTable(context, title, columns, data), shown];
    const next = Math.min(rows + TABLE_PAGE_ROWS, MAX_TABLE_ROWS);
    const more = h('button', { type: 'button', class: 'secondary more' }, `Show ${count(next - rows)} more`);
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const page = await load(next);
        history.replaceState(null, '', serializeState({ ...context.state, rows: next }) || location.pathname);
        context.state.rows = next;
        panel.replaceChildren(panel.firstChild as Node, actions, ...show(page.data, next));
      } catch (failure) {
        shown.textContent = `More rows could not be loaded: ${(failure as Error).message}.`;
        more.disabled = false;
      }
    });
    return [sortableTable(context, title, columns, data), shown, more];
  };
  panel.append(...show((await load(context.state.rows)).data, context.state.rows));
  return panel;
}

export function channels(context: ViewContext): Promise<HTMLElement> {
  const columns: Array<Column<ChannelRow>> = [
    {
      sort: 'name',
      label: 'Channel',
      text: true,
      cell: (row) => named(context.link({ view: 'channel', id: row.channelId }, `#${row.name ?? row.channelId}`), row.channelId),
    },
    { sort: 'messages', label: 'Messages', cell: (row) => count(row.messages) },
    { sort: 'humanMessages', label: 'Human messages', cell: (row) => count(row.humanMessages) },
    { sort: 'threadsStarted', label: 'Threads started', cell: (row) => count(row.threadsStarted) },
    { sort: 'threadReplies', label: 'Thread replies', cell: (row) => count(row.threadReplies) },
    { sort: 'reactions', label: 'Reactions', cell: (row) => count(row.reactions) },
    { sort: 'activePosters', label: 'Active posters', cell: (row) => count(row.activePosters) },
    { sort: 'firstReplyP50Seconds', label: 'First reply, median', cell: (row) => duration(row.firstReplyP50Seconds) },
    { sort: 'firstReplyP90Seconds', label: 'First reply, 90th percentile', cell: (row) => duration(row.firstReplyP90Seconds) },
  ];
  return tableSection(context, 'Channels', 'metrics/channels', columns, 'channel with messages');
}

export function members(context: ViewContext): Promise<HTMLElement> {
  const columns: Array<Column<UserRow>> = [
    {
      sort: 'name',
      label: 'Member',
      text: true,
      cell: (row) =>
        named(
          context.link({ view: 'member', id: row.userId }, row.realName || row.name || row.userId),
          row.name ? `@${row.name} · ${row.userId}` : row.userId,
        ),
    },
    { sort: 'messages', label: 'Messages', cell: (row) => count(row.messages) },
    { sort: 'reactionsAdded', label: 'Reactions added', cell: (row) => count(row.reactionsAdded) },
    { sort: 'channelsActive', label: 'Channels active in', cell: (row) => count(row.channelsActive) },
    { sort: 'daysActive', label: 'Days active', cell: (row) => count(row.daysActive) },
  ];
  return tableSection(context, 'Members', 'metrics/users', columns, 'active member');
}

function seriesLabels<Row extends { date: string }>(rows: Row[], context: ViewContext): string[] {
  return rows.map((row) => periodLabel(row.date, context.state.granularity));
}

export async function channel(context: ViewContext): Promise<HTMLElement> {
  const id = context.state.id as string;
  const query = { ...teamQuery(context), granularity: context.state.granularity };
  const path = `metrics/channels/${encodeURIComponent(id)}`;
  const series = await getJson<ChannelSeries>(context.token, path, query);
  const rows = series.data;
  const labels = seriesLabels(rows, context);
  const periodName = PERIOD_NAMES[context.state.granularity];
  const empty = rows.every((row) => row.messages === 0);
  const download = csvButton(context, path, query, `#${series.name ?? id} per ${context.state.granularity}`);
  return h(
    'div',
    {},
    section(
      `#${series.name ?? id}`,
      h('p', {}, context.link({ view: 'channels', id: undefined }, '← All channels')),
      h('div', { class: 'section-actions' }, download),
      empty && emptyNote(context.range, 'message in this channel'),
    ),
    !empty &&
      chart({
        title: 'Messages',
        periodName,
        kind: 'stacked',
        labels,
        series: [
          { name: 'By humans', values: rows.map((row) => row.humanMessages) },
          { name: 'By bots', values: rows.map((row) => row.messages - row.humanMessages) },
        ],
      }),
    !empty &&
      chart({
        title: 'Threads, replies, reactions and posters',
        periodName,
        kind: 'line',
        labels,
        series: [
          { name: 'Threads started', values: rows.map((row) => row.threadsStarted) },
          { name: 'Thread replies', values: rows.map((row) => row.threadReplies) },
          { name: 'Reactions', values: rows.map((row) => row.reactions) },
          { name: 'Active posters', values: rows.map((row) => row.activePosters) },
        ],
      }),
    !empty &&
      chart({
        title: 'Time to first reply',
        periodName,
        kind: 'line',
        labels,
        format: duration,
        tickFormat: duration,
        series: [
          { name: 'Median', values: rows.map((row) => row.firstReplyP50Seconds) },
          { name: '90th percentile', values: rows.map((row) => row.firstReplyP90Seconds) },
        ],
      }),
  );
}

export async function member(context: ViewContext): Promise<HTMLElement> {
  const id = context.state.id as string;
  const query = { ...teamQuery(context), granularity: context.state.granularity };
  const path = `metrics/users/${encodeURIComponent(id)}`;
  const channelsQuery = { ...teamQuery(context), userId: id, limit: MAX_TABLE_ROWS };
  const [series, channelRows] = await Promise.all([
    getJson<UserSeries>(context.token, path, query),
    getAllPages<MemberChannelRow>(context.token, 'metrics/users/channels', channelsQuery),
  ]);
  const rows = series.data;
  const title = series.realName || series.name || id;
  const empty = rows.every((row) => row.daysActive === 0);
  return h(
    'div',
    {},
    section(
      title,
      h('p', {}, context.link({ view: 'members', id: undefined }, '← All members'), series.name ? ` · @${series.name}` : ''),
      h('div', { class: 'section-actions' }, csvButton(context, path, query, `${title} per ${context.state.granularity}`)),
      empty && emptyNote(context.range, 'activity by this member'),
    ),
    !empty &&
      chart({
        title: `Activity per ${context.state.granularity}`,
        periodName: PERIOD_NAMES[context.state.granularity],
        kind: 'line',
        labels: seriesLabels(rows, context),
        series: [
          { name: 'Messages', values: rows.map((row) => row.messages) },
          { name: 'Reactions added', values: rows.map((row) => row.reactionsAdded) },
          { name: 'Channels active in', values: rows.map((row) => row.channelsActive) },
          { name: 'Days active', values: rows.map((row) => row.daysActive) },
        ],
      }),
    channelRows.length > 0 &&
      section(
        'Channels',
        h('div', { class: 'section-actions' }, csvButton(context, 'metrics/users/channels', channelsQuery, `${title}'s channels`)),
        scrollingTable(
          `${title}'s channels`,
          ['Channel', 'Messages', 'Reactions added'],
          channelRows.map((row) => [
            context.link({ view: 'channel', id: row.channelId }, row.channelId),
            count(row.messages),
            count(row.reactionsAdded),
          ]),
        ),
      ),
  );
}

export async function when(context: ViewContext): Promise<HTMLElement> {
  const query = teamQuery(context);
  const map = await getJson<Heatmap>(context.token, 'metrics/heatmap', query);
  const busiest = map.data.reduce((best, cell) => (cell.messages > best.messages ? cell : best), map.data[0]);
  const hour = (value: number) => `${String(value).padStart(2, '0')}:00`;
  return section(
    'When',
    busiest && busiest.messages > 0
      ? h(
          'p',
          {},
          `Busiest hour: ${WEEKDAYS[busiest.weekday - 1]} ${hour(busiest.hour)}–${hour(busiest.hour).slice(0, 2)}:59, ${count(busiest.messages)} messages. Hours are in ${map.timezone} (METRICS_TIMEZONE).`,
        )
      : emptyNote(context.range),
    heatmap(map.data, map.timezone, [csvButton(context, 'metrics/heatmap', query, 'the heatmap')]),
  );
}

const AUDIENCE_NAMES: Record<string, string> = { member: 'Members', guest: 'Guests', external: 'External (Slack Connect)' };

export async function audience(context: ViewContext): Promise<HTMLElement> {
  const query = teamQuery(context);
  const [split, zones] = await Promise.all([
    getJson<AudienceSplit>(context.token, 'metrics/audience', query),
    getJson<TimeZoneSplit>(context.token, 'metrics/time-zones', query),
  ]);
  const empty = split.data.every((row) => row.activePeople === 0);
  return section(
    'Audience',
    h(
      'p',
      {},
      'Members of the workspace, its guests, and people of other teams in shared channels, by their profiles as they are now. First replies are to the threads each group started.',
    ),
    h(
      'div',
      { class: 'section-actions' },
      csvButton(context, 'metrics/audience', query, 'the audience split'),
      csvButton(context, 'metrics/time-zones', query, 'members by time zone'),
    ),
    ...(empty
      ? [emptyNote(context.range)]
      : [
          scrollingTable(
            'Members, guests and external people',
            ['Audience', 'Messages', 'Active people', 'Threads started', 'First reply, median', 'First reply, 90th percentile'],
            split.data.map((row) => [
              AUDIENCE_NAMES[row.audience],
              count(row.messages),
              count(row.activePeople),
              count(row.threadsStarted),
              duration(row.firstReplyP50Seconds),
              duration(row.firstReplyP90Seconds),
            ]),
          ),
          scrollingTable(
            'Active members by time zone',
            ['Time zone (profile, as now)', 'Active members', 'Share'],
            zones.data.map((row) => [row.timezone ?? 'Unknown', count(row.members), share(row.share)]),
          ),
        ]),
  );
}
