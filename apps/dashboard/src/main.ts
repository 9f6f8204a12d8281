import './styles.css';
import { ApiError, Freshness, Workspace, getJson } from './api';
import { Child, h } from './dom';
import { ago, dayLabel } from './format';
import { GRANULARITIES, PRESET_DAYS, TABLE_PAGE_ROWS, ViewState, daysBetween, parseState, rangeOf, serializeState } from './state';
import { retention } from './retention';
import { ViewContext, audience, channel, channels, member, members, overview, when } from './views';

/** sessionStorage: gone with the tab, never in a URL, a log or another site's reach. */
const TOKEN_KEY = 'slack-metrics.read-token';
/** Older than this, the page says its numbers may be behind (aggregation runs every few minutes). */
const STALE_AFTER_MS = 60 * 60_000;
const MAX_RANGE_DAYS = 366;

const root = document.getElementById('app') as HTMLElement;

const VIEWS = { overview, channels, channel, members, member, when, retention, audience };
const TABS: Array<[ViewState['view'], string]> = [
  ['overview', 'Overview'],
  ['channels', 'Channels'],
  ['members', 'Members'],
  ['when', 'When'],
  ['retention', 'Retention'],
  ['audience', 'Audience'],
];
const SERIES_VIEWS = new Set<ViewState['view']>(['overview', 'channel', 'member', 'retention']);

function signIn(message?: string): void {
  document.title = 'Sign in · slack-metrics';
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const error = h('p', { class: 'error', id: 'sign-in-error', role: 'alert' }, message ?? '');
  const button = h('button', { type: 'submit' }, 'Sign in');
  // No name on the field and no action: a submission the script did not handle sends no token anywhere.
  const form = h(
    'form',
    { class: 'sign-in', method: 'post' },
    h('h1', {}, 'Slack activity'),
    h('label', { for: 'token' }, 'API read token'),
    input,
    h('p', { id: 'token-help', class: 'help' }, 'A token from API_TOKENS. It is kept in this tab only, until you sign out or close it.'),
    button,
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    error.textContent = '';
    try {
      await getJson(token, 'workspaces');
      sessionStorage.setItem(TOKEN_KEY, token);
      void dashboard(token);
    } catch (failure) {
      error.textContent =
        failure instanceof ApiError && failure.status === 401
          ? `The API refused this token: ${failure.message}.`
          : `Cannot sign in: ${(failure as Error).message}.`;
      button.disabled = false;
      input.focus();
    }
  });
  root.replaceChildren(h('main', { id: 'content' }, form));
  input.focus();
}

function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  signIn(message);
}

function freshnessNote(freshness: Freshness): HTMLElement {
  if (!freshness.aggregatedAt)
    return h(
      'p',
      { class: 'freshness stale', role: 'status' },
      'No aggregation run has finished yet: the numbers stay at zero until one does.',
    );
  const age = Date.now() - Date.parse(freshness.aggregatedAt);
  const when = new Date(freshness.aggregatedAt).toLocaleString();
  if (age > STALE_AFTER_MS) {
    return h(
      'p',
      { class: 'freshness stale', role: 'status' },
      `These numbers were last rolled up ${ago(freshness.aggregatedAt)} (${when}): newer activity is not counted yet.`,
    );
  }
  return h('p', { class: 'freshness' }, `Rolled up ${ago(freshness.aggregatedAt)}. Days and hours in ${freshness.timezone}.`);
}

interface Shell {
  token: string;
  workspaces: Workspace[];
  freshness: Freshness;
}

async function dashboard(token: string): Promise<void> {
  root.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  let shell: Shell;
  try {
    const [workspaces, freshness] = await Promise.all([
      getJson<{ data: Workspace[] }>(token, 'workspaces'),
      getJson<Freshness>(token, 'metrics/freshness'),
    ]);
    shell = { token, workspaces: workspaces.data, freshness };
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signOut(`Signed out: ${failure.message}.`);
    root.replaceChildren(errorPanel(failure, () => void dashboard(token)));
    return;
  }
  window.onpopstate = () => void render(shell);
  await render(shell);
}

function errorPanel(failure: unknown, retry: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-panel', role: 'alert' },
    h('p', {}, `The numbers could not be loaded: ${(failure as Error).message}.`),
    h('button', { type: 'button', onclick: retry }, 'Try again'),
  );
}

function href(state: ViewState): string {
  return serializeState(state) || location.pathname;
}

let renderCount = 0;

async function render(shell: Shell): Promise<void> {
  const renderId = ++renderCount;
  const state = parseState(location.search);
  const range = rangeOf(state, shell.freshness.today);
  const teamId = state.team ?? shell.workspaces[0]?.id;
  const navigate = (change: Partial<ViewState>) => {
    history.pushState(null, '', href({ ...state, ...change }));
    void render(shell);
  };
  const link = (change: Partial<ViewState>, label: Child, attributes: Record<string, string> = {}) => {
    const anchor = h('a', { href: href({ ...state, ...change }), ...attributes }, label);
    anchor.addEventListener('click', (event) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(change);
    });
    return anchor;
  };
  const context: ViewContext = { token: shell.token, state, range, teamId, link, navigate };
  const content = h('main', { id: 'content', 'aria-busy': 'true', tabindex: -1 }, h('p', { class: 'loading' }, 'Loading…'));
  const activeTab = state.view === 'channel' ? 'channels' : state.view === 'member' ? 'members' : state.view;
  root.replaceChildren(
    h('a', { class: 'skip', href: '#content' }, 'Skip to the numbers'),
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'Slack activity'),
      workspacePicker(shell.workspaces, teamId, navigate),
      h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, 'Sign out'),
    ),
    h(
      'nav',
      { 'aria-label': 'Views' },
      h(
        'ul',
        {},
        ...TABS.map(([view, label]) =>
          h(
            'li',
            {},
            link(
              { view, id: undefined, sort: '-messages', rows: TABLE_PAGE_ROWS },
              label,
              view === activeTab ? { 'aria-current': 'page' } : {},
            ),
          ),
        ),
      ),
    ),
    controls(state, range, navigate),
    freshnessNote(shell.freshness),
    content,
  );
  document.title = `${TABS.find(([view]) => view === activeTab)?.[1] ?? 'Overview'} · Slack activity`;
  if (shell.workspaces.length === 0) {
    content.replaceChildren(h('p', { class: 'empty', role: 'status' }, 'No workspace has been collected yet.'));
    content.removeAttribute('aria-busy');
    return;
  }
  try {
    const view = await VIEWS[state.view](context);
    if (renderId !== renderCount) return;
    content.replaceChildren(view);
    content.removeAttribute('aria-busy');
    content.dataset.loaded = 'true';
  } catch (failure) {
    if (renderId !== renderCount) return;
    if (failure instanceof ApiError && failure.status === 401) return signOut(`Signed out: ${failure.message}.`);
    content.replaceChildren(errorPanel(failure, () => void render(shell)));
    content.removeAttribute('aria-busy');
  }
}

function workspacePicker(workspaces: Workspace[], teamId: string | undefined, navigate: (change: Partial<ViewState>) => void): Child {
  if (workspaces.length < 2) return null;
  const select = h(
    'select',
    { id: 'workspace' },
    ...workspaces.map((workspace) =>
      h('option', { value: workspace.id, selected: workspace.id === teamId }, workspace.name ?? workspace.domain ?? workspace.id),
    ),
  );
  select.addEventListener('change', () => navigate({ team: select.value, view: 'overview', id: undefined }));
  return h('div', { class: 'field' }, h('label', { for: 'workspace' }, 'Workspace'), select);
}

function controls(state: ViewState, range: { from: string; to: string }, navigate: (change: Partial<ViewState>) => void): HTMLElement {
  const presets = PRESET_DAYS.map((days) =>
    h(
      'button',
      {
        type: 'button',
        class: 'preset',
        'aria-pressed': String(state.days === days),
        'data-days': days,
        onclick: () => navigate({ days, from: undefined, to: undefined }),
      },
      `${days} days`,
    ),
  );
  const from = h('input', { type: 'date', id: 'from', value: range.from, required: true });
  const to = h('input', { type: 'date', id: 'to', value: range.to, required: true });
  const problem = h('p', { class: 'error', role: 'alert' });
  const custom = h(
    'form',
    { class: 'custom-range' },
    h('div', { class: 'field' }, h('label', { for: 'from' }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: 'to' }, 'To'), to),
    h('button', { type: 'submit', class: 'secondary' }, 'Apply'),
    problem,
  );
  custom.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!from.value || !to.value) return;
    if (from.value > to.value) problem.textContent = '“From” must not be after “To”.';
    else if (daysBetween(from.value, to.value) > MAX_RANGE_DAYS) problem.textContent = `A range spans at most ${MAX_RANGE_DAYS} days.`;
    else navigate({ days: undefined, from: from.value, to: to.value });
  });
  const granularity = h(
    'select',
    { id: 'granularity' },
    ...GRANULARITIES.map((value) =>
      h('option', { value, selected: value === state.granularity }, `${value[0].toUpperCase()}${value.slice(1)}`),
    ),
  );
  granularity.addEventListener('change', () => navigate({ granularity: granularity.value as ViewState['granularity'] }));
  return h(
    'section',
    { class: 'controls', 'aria-label': 'Range' },
    h('div', { class: 'presets', role: 'group', 'aria-label': 'Last' }, ...presets),
    custom,
    SERIES_VIEWS.has(state.view) && h('div', { class: 'field' }, h('label', { for: 'granularity' }, 'Per'), granularity),
    h('p', { class: 'range', id: 'range' }, `${dayLabel(range.from)} – ${dayLabel(range.to)}`),
  );
}

const token = sessionStorage.getItem(TOKEN_KEY);
if (token) void dashboard(token);
else signIn();
