import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from '../support/database';
import { RunningApi, runWorker, startApi, temporaryDirectory } from '../support/processes';
import { launchChromium } from './chromium';

const READ_TOKEN = 'dashboard-read-token-0123456789';
const TIMEZONE = 'Europe/Berlin';
const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;
/** SCREENSHOTS_DIR keeps them; by default they go to the run's scratch directory, removed at its end. */
const SCREENSHOTS_DIR =
  process.env.SCREENSHOTS_DIR ?? join(process.env.TEST_SCRATCH_DIR ?? temporaryDirectory('dashboard'), 'dashboard-screenshots');
const WIDTHS = [1280, 390];
const numbers = new Intl.NumberFormat('en-US');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are compared field by field
type Json = any;

describe('dashboard in Chromium', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let api: RunningApi;
  let context: BrowserContext;
  let page: Page;
  let today: string;
  const foreignRequests: string[] = [];
  const requestedUrls: string[] = [];
  const consoleErrors: string[] = [];

  const apiGet = async (path: string): Promise<Json> => {
    const response = await fetch(`${api.url}/api/v1/${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    return response.json();
  };
  const addDays = (day: string, count: number) => new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
  const loaded = () => page.waitForSelector('main[data-loaded]:not([aria-busy])');
  const query = () => new URL(page.url()).searchParams;

  /** Charts redraw at a new width on the next frame. */
  const redrawn = () => page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

  async function screenshots(name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await redrawn();
      await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}-${width}.png`), fullPage: true });
    }
    // Usable at 360 px: nothing but the tables' own scrolling boxes is wider than the window.
    await page.setViewportSize({ width: 360, height: 900 });
    await redrawn();
    expect({ name, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ name, width: 360 });
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function expectNoSeriousAccessibilityViolation(): Promise<void> {
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    expect(serious.map((violation) => ({ id: violation.id, nodes: violation.nodes.map((node) => node.target.join(' ')) }))).toEqual([]);
  }

  async function cardValues(): Promise<Record<string, string>> {
    return page.$$eval('[data-metric]', (cards) =>
      Object.fromEntries(cards.map((card) => [card.getAttribute('data-metric'), card.querySelector('.card-value')?.textContent ?? ''])),
    );
  }

  function expectedCards(summary: Json): Record<string, string> {
    const keys = ['messages', 'humanMessages', 'threadsStarted', 'threadReplies', 'reactions', 'activeMembers', 'activeChannels'];
    return Object.fromEntries(keys.map((key) => [key, numbers.format(summary[key])]));
  }

  /** The cells of one column of every table on the page, or of the table of the given label. */
  async function tableColumn(column: number, label?: string): Promise<string[]> {
    const table = label ? `main [aria-label="${label}"] table` : 'main table';
    return page.$$eval(`${table} tbody tr > :nth-child(${column})`, (cells) => cells.map((cell) => cell.textContent ?? ''));
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    database = await createTestDatabase('dashboard');
    dataSource = await migratedDataSource(database);
    const env = { DATABASE_URL: database.url, METRICS_TIMEZONE: TIMEZONE };
    const demo = await runWorker(['demo'], env, 120_000);
    expect(demo.code).toBe(0);
    api = await startApi({ ...env, API_TOKENS: READ_TOKEN, RATE_LIMIT_PER_MINUTE: '0' });
    today = (await apiGet('metrics/freshness')).today;

    context = await launchChromium(temporaryDirectory('chromium-profile'), { viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      requestedUrls.push(url.href);
      if (url.hostname !== '127.0.0.1') {
        foreignRequests.push(url.href);
        return route.abort();
      }
      return route.continue();
    });
    // Test code, run in the page before its own (this Node.js file has no DOM types, hence the text).
    await context.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));",
    });
    page = await context.newPage();
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await api?.stop();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('is served at / from the built files with a strict policy, long-cached hashed assets and a first load within budget', async () => {
    const root = await fetch(`${api.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('dashboard/');
    expect((await fetch(`${api.url}/dashboard`, { redirect: 'manual' })).headers.get('location')).toBe('dashboard/');
    const index = await fetch(`${api.url}/dashboard/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(index.status).toBe(200);
    const policy = index.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.filter((asset) => /^assets\/main\.[0-9a-f]{12}\.(js|css)$/.test(asset))).toHaveLength(2);
    let firstLoadBytes = Number(index.headers.get('content-length'));
    for (const asset of assets) {
      const response = await fetch(`${api.url}/dashboard/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      if (asset.startsWith('assets/')) expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-security-policy')).toBe(policy);
      firstLoadBytes += Number(response.headers.get('content-length'));
    }
    console.log(`dashboard first load: ${firstLoadBytes} bytes gzip`);
    expect(firstLoadBytes).toBeLessThan(FIRST_LOAD_BUDGET_BYTES);
    expect((await fetch(`${api.url}/dashboard/`, { headers: { 'if-none-match': index.headers.get('etag') ?? '' } })).status).toBe(304);
    expect((await fetch(`${api.url}/dashboard/assets/none.js`)).status).toBe(404);
    // The routes that were there before still answer as they did.
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${api.url}/docs-json`)).status).toBe(200);
    expect((await fetch(`${api.url}/api/v1/workspaces`)).status).toBe(401);
    expect(
      (await fetch(`${api.url}/slack/events`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(503);
  });

  it('shows an error for a wrong token, not a blank page', async () => {
    await page.goto(`${api.url}/`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    await page.fill('#token', 'not-a-token-of-this-api');
    await page.click('form.sign-in button[type=submit]');
    await page.waitForSelector('#sign-in-error:not(:empty)');
    expect(await page.textContent('#sign-in-error')).toBe('The API refused this token: unknown bearer token.');
    expect(await page.isVisible('#token')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await expectNoSeriousAccessibilityViolation();
    await screenshots('sign-in-error');
  });

  it('signs in; the headline numbers are the API answers for the same range, with the change against the range before', async () => {
    await page.fill('#token', READ_TOKEN);
    await page.press('#token', 'Enter');
    await loaded();
    const from = addDays(today, -29);
    const summary = await apiGet(`metrics/summary?from=${from}&to=${today}`);
    const previous = await apiGet(`metrics/summary?from=${addDays(from, -30)}&to=${addDays(from, -1)}`);
    expect(summary.messages).toBeGreaterThan(0);
    expect(await cardValues()).toEqual(expectedCards(summary));
    const messagesChange = await page.textContent('[data-metric="messages"] .card-change');
    expect(messagesChange).toContain(`against ${numbers.format(previous.messages)} in the previous 30 days`);
    expect(await page.textContent('#range')).toContain(
      new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }).format(
        new Date(`${today}T00:00:00Z`),
      ),
    );
    expect(await page.textContent('.freshness')).toContain(`Days and hours in ${TIMEZONE}`);
    expect(await page.$$('figure.chart')).toHaveLength(2);
    await expectNoSeriousAccessibilityViolation();
    await screenshots('overview');
  });

  it('changes the URL and the numbers with the range, keeps them on reload, and follows the browser back', async () => {
    const thirtyDays = await cardValues();
    await page.click('button.preset[data-days="7"]');
    await loaded();
    expect(query().get('days')).toBe('7');
    const week = await apiGet(`metrics/summary?from=${addDays(today, -6)}&to=${today}`);
    expect(await cardValues()).toEqual(expectedCards(week));
    expect(await cardValues()).not.toEqual(thirtyDays);

    const from = addDays(today, -60);
    const to = addDays(today, -46);
    await page.fill('#from', from);
    await page.fill('#to', to);
    await page.click('form.custom-range button[type=submit]');
    await loaded();
    expect([query().get('from'), query().get('to')]).toEqual([from, to]);
    const custom = expectedCards(await apiGet(`metrics/summary?from=${from}&to=${to}`));
    expect(await cardValues()).toEqual(custom);
    await page.reload();
    await loaded();
    expect(await cardValues()).toEqual(custom);

    await page.selectOption('#granularity', 'week');
    await loaded();
    expect(query().get('granularity')).toBe('week');
    const weeks = (await apiGet(`metrics/series?from=${from}&to=${to}&granularity=week`)).data;
    const tableRows = await page.$$eval('figure.chart:nth-of-type(2) tbody tr', (rows) => rows.length);
    expect(tableRows).toBe(weeks.length);

    await page.goBack();
    await loaded();
    expect(query().get('granularity')).toBeNull();
    await page.goBack();
    await page.goBack();
    await loaded();
    expect(await cardValues()).toEqual(thirtyDays);
    expect(page.url()).not.toContain(READ_TOKEN);
  });

  it('says so when a range holds no activity', async () => {
    await page.goto(`${api.url}/dashboard/?from=2001-01-01&to=2001-01-31`);
    await loaded();
    expect(await page.textContent('main .empty')).toBe('No activity between Jan 1, 2001 and Jan 31, 2001.');
    expect(await cardValues()).toMatchObject({ messages: '0', activeMembers: '0' });
  });

  it('lists channels as the API does, with every field, and reorders them by a column header, by mouse and by keyboard', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await loaded();
    await page.click('nav a:has-text("Channels")');
    await loaded();
    expect(query().get('view')).toBe('channels');
    const from = addDays(today, -29);
    const byMessages = (await apiGet(`metrics/channels?from=${from}&to=${today}&limit=1000`)).data;
    expect(await tableColumn(1)).toEqual(byMessages.map((row: Json) => `#${row.name}${row.channelId}`));
    expect(await tableColumn(2)).toEqual(byMessages.map((row: Json) => numbers.format(row.messages)));
    const headers = await page.$$eval('main thead th', (cells) => cells.map((cell) => cell.textContent?.replace(/[▲▼↕]/g, '').trim()));
    expect(headers).toEqual([
      'Channel',
      'Messages',
      'Human messages',
      'Threads started',
      'Thread replies',
      'Reactions',
      'Active posters',
      'First reply, median',
      'First reply, 90th percentile',
    ]);
    // Durations as people read them: "1 h 12 m", "42 m 5 s".
    for (const cell of await tableColumn(8)) expect(cell).toMatch(/^(\d+ [dhms]( \d+ [hms])?|—)$/);

    await page.click('button.sort[data-sort="name"]');
    await loaded();
    expect(query().get('sort')).toBe('name');
    const byName = (await apiGet(`metrics/channels?from=${from}&to=${today}&limit=1000&sort=name`)).data;
    const names = await tableColumn(1);
    expect(names).toEqual(byName.map((row: Json) => `#${row.name}${row.channelId}`));
    expect(names).not.toEqual(byMessages.map((row: Json) => `#${row.name}${row.channelId}`));
    expect(await page.getAttribute('th:has(button[data-sort="name"])', 'aria-sort')).toBe('ascending');

    await page.focus('button.sort[data-sort="name"]');
    await page.keyboard.press('Enter');
    await loaded();
    expect(query().get('sort')).toBe('-name');
    expect(await tableColumn(1)).toEqual([...names].reverse());
    await page.focus('button.sort[data-sort="firstReplyP90Seconds"]');
    await page.keyboard.press('Space');
    await loaded();
    expect(query().get('sort')).toBe('-firstReplyP90Seconds');
    const bySlowReplies = (await apiGet(`metrics/channels?from=${from}&to=${today}&limit=1000&sort=-firstReplyP90Seconds`)).data;
    expect(await tableColumn(1)).toEqual(bySlowReplies.map((row: Json) => `#${row.name}${row.channelId}`));
    await expectNoSeriousAccessibilityViolation();
    await screenshots('channels');
  });

  it('downloads as CSV what the table shows, through the API', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv="metrics/channels"]')]);
    expect(download.suggestedFilename()).toMatch(/^channels-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'channelId,name,messages,humanMessages,threadReplies,threadsStarted,reactions,activePosters,firstReplyP50Seconds,firstReplyP90Seconds',
    );
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows.map((row) => `#${row[1]}${row[0]}`)).toEqual(await tableColumn(1));
    expect(rows.map((row) => numbers.format(Number(row[2])))).toEqual(await tableColumn(2));
  });

  it('has a page per channel with its series', async () => {
    const first = (await tableColumn(1))[0];
    await page.click('main tbody tr:first-child a');
    await loaded();
    expect(query().get('view')).toBe('channel');
    const channelId = query().get('id');
    expect(first).toContain(channelId);
    const series = await apiGet(`metrics/channels/${channelId}?from=${addDays(today, -29)}&to=${today}`);
    expect(await page.textContent('main h2')).toBe(`#${series.name}`);
    expect(await page.$$('figure.chart')).toHaveLength(3);
    const dailyMessages = await page.$$eval('figure.chart:nth-of-type(1) tbody tr', (rows) =>
      rows.map((row) => row.children[1].textContent),
    );
    expect(dailyMessages).toEqual(series.data.map((row: Json) => numbers.format(row.humanMessages)));
    await expectNoSeriousAccessibilityViolation();
    await screenshots('channel');
  });

  it('lists members, sorts them, and has a page per member', async () => {
    await page.focus('nav a:has-text("Members")');
    await page.keyboard.press('Enter');
    await loaded();
    expect(query().get('view')).toBe('members');
    const from = addDays(today, -29);
    const byMessages = (await apiGet(`metrics/users?from=${from}&to=${today}&limit=1000`)).data;
    expect(await tableColumn(2)).toEqual(byMessages.map((row: Json) => numbers.format(row.messages)));
    await page.click('button.sort[data-sort="daysActive"]');
    await loaded();
    expect(query().get('sort')).toBe('-daysActive');
    const byDays = (await apiGet(`metrics/users?from=${from}&to=${today}&limit=1000&sort=-daysActive`)).data;
    expect(await tableColumn(5)).toEqual(byDays.map((row: Json) => numbers.format(row.daysActive)));
    expect((await tableColumn(1))[0]).toContain(byDays[0].userId);
    await expectNoSeriousAccessibilityViolation();
    await screenshots('members');

    await page.click('main tbody tr:first-child a');
    await loaded();
    expect(query().get('view')).toBe('member');
    const series = await apiGet(`metrics/users/${query().get('id')}?from=${from}&to=${today}`);
    expect(await page.textContent('main h2')).toBe(series.realName ?? series.name);
    const dailyMessages = await page.$$eval('figure.chart tbody tr', (rows) => rows.map((row) => row.children[1].textContent));
    expect(dailyMessages).toEqual(series.data.map((row: Json) => numbers.format(row.messages)));
    const memberChannels = await apiGet(`metrics/users/channels?from=${from}&to=${today}&userId=${query().get('id')}&limit=1000`);
    expect(memberChannels.data.length).toBeGreaterThan(0);
    const channelTable = await page.$$eval('[role="region"][aria-label$="channels"] tbody tr', (rows) =>
      rows.map((row) => [...row.children].map((cell) => cell.textContent)),
    );
    expect(channelTable).toEqual(
      memberChannels.data.map((row: Json) => [row.channelId, numbers.format(row.messages), numbers.format(row.reactionsAdded)]),
    );
    await expectNoSeriousAccessibilityViolation();
    await screenshots('member');
  });

  it('shows a first page of a table and more rows on request, keeping the count in the URL', async () => {
    const from = addDays(today, -29);
    const everyone = (await apiGet(`metrics/users?from=${from}&to=${today}&limit=1000`)).data;
    const asked = requestedUrls.length;
    await page.goto(`${api.url}/dashboard/?view=members`);
    await loaded();
    // The API is asked for the first page only.
    const tableRequest = requestedUrls.slice(asked).find((url) => url.includes('/api/v1/metrics/users'));
    expect(new URL(tableRequest as string).searchParams.get('limit')).toBe('50');

    await page.goto(`${api.url}/dashboard/?view=members&rows=3`);
    await loaded();
    const messagesOf = (rows: Json[]) => rows.map((row: Json) => numbers.format(row.messages));
    expect(everyone.length).toBeGreaterThan(3);
    expect(await tableColumn(2)).toEqual(messagesOf(everyone.slice(0, 3)));
    await page.click('button.more');
    await page.waitForSelector('main tbody tr:nth-child(4)');
    expect(await tableColumn(2)).toEqual(messagesOf(everyone.slice(0, 53)));
    expect(query().get('rows')).toBe('53');
    // Offered again only while the API may hold more rows than shown.
    expect(Boolean(await page.$('button.more'))).toBe(everyone.length >= 53);
    // What the CSV button downloads follows the rows on screen.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-csv="metrics/users"]')]);
    expect(
      readFileSync(await download.path(), 'utf8')
        .trim()
        .split('\r\n'),
    ).toHaveLength(Math.min(everyone.length, 53) + 1);
    await page.reload();
    await loaded();
    expect(await tableColumn(2)).toEqual(messagesOf(everyone.slice(0, 53)));
  });

  it('draws the 168 cells of the heatmap with the API values, labelled with METRICS_TIMEZONE', async () => {
    await page.click('nav a:has-text("When")');
    await loaded();
    const heatmap = await apiGet(`metrics/heatmap?from=${addDays(today, -29)}&to=${today}`);
    const cells = await page.$$eval('rect.heat[data-weekday]', (rects) =>
      rects.map((rect) => ({
        weekday: Number(rect.getAttribute('data-weekday')),
        hour: Number(rect.getAttribute('data-hour')),
        messages: Number(rect.getAttribute('data-messages')),
      })),
    );
    expect(cells).toHaveLength(168);
    expect(cells).toEqual(heatmap.data);
    expect(await page.textContent('figure.chart h3')).toBe(`Messages by weekday and hour (${TIMEZONE})`);
    const tuesdayNine = await page.$eval('figure.chart tbody tr:nth-child(2) td:nth-child(11)', (cell) => cell.textContent);
    expect(tuesdayNine).toBe(numbers.format(heatmap.data.find((cell: Json) => cell.weekday === 2 && cell.hour === 9).messages));
    await expectNoSeriousAccessibilityViolation();
    await screenshots('when');
  });

  it('shows retention cohorts as coloured shares and the members flow with its numbers, as the API answers them', async () => {
    await page.goto(`${api.url}/dashboard/?view=retention&days=90&granularity=week`);
    await loaded();
    const range = `from=${addDays(today, -89)}&to=${today}&granularity=week`;
    const [cohorts, flow] = await Promise.all([apiGet(`metrics/retention?${range}`), apiGet(`metrics/members-flow?${range}`)]);
    expect(cohorts.data.length).toBeGreaterThan(0);
    const shown = await page.$$eval('span.share', (cells) =>
      cells.map((cell) => ({
        cohort: cell.getAttribute('data-cohort'),
        period: Number(cell.getAttribute('data-period')),
        active: Number(cell.getAttribute('data-active')),
        text: cell.textContent,
      })),
    );
    const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 });
    expect(shown).toEqual(
      cohorts.data.map((cell: Json) => ({
        cohort: cell.cohort,
        period: cell.period,
        active: cell.active,
        text: percent.format(cell.share),
      })),
    );
    const sizes = await page.$$eval('main table tbody tr > :nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    const cohortSizes = [...new Map(cohorts.data.map((cell: Json) => [cell.cohort, numbers.format(cell.cohortSize)])).values()];
    expect(sizes.slice(0, cohortSizes.length)).toEqual(cohortSizes);
    const flowRows = await page.$$eval('figure.chart details tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)),
    );
    expect(flowRows).toEqual(
      flow.data.map((row: Json) => [row.new, row.returning, row.churned, row.active].map((value) => numbers.format(value))),
    );
    expect(flow.data.some((row: Json) => row.churned > 0 && row.returning > 0)).toBe(true);
    await expectNoSeriousAccessibilityViolation();
    await screenshots('retention');
  });

  it('splits activity into members, guests and external people with the API values', async () => {
    await page.goto(`${api.url}/dashboard/?days=30`);
    await loaded();
    await page.click('nav a:has-text("Audience")');
    await loaded();
    expect(query().get('view')).toBe('audience');
    const split = await apiGet(`metrics/audience?from=${addDays(today, -29)}&to=${today}`);
    const groups = 'Members, guests and external people';
    expect(await tableColumn(1, groups)).toEqual(['Members', 'Guests', 'External (Slack Connect)']);
    expect(await tableColumn(2, groups)).toEqual(split.data.map((row: Json) => numbers.format(row.messages)));
    expect(await tableColumn(3, groups)).toEqual(split.data.map((row: Json) => numbers.format(row.activePeople)));
    expect(await tableColumn(4, groups)).toEqual(split.data.map((row: Json) => numbers.format(row.threadsStarted)));
    expect(split.data[0].activePeople).toBeGreaterThan(0);
    const zones = (await apiGet(`metrics/time-zones?from=${addDays(today, -29)}&to=${today}`)).data;
    expect(zones.length).toBeGreaterThan(0);
    const byZone = 'Active members by time zone';
    expect(await tableColumn(1, byZone)).toEqual(zones.map((row: Json) => row.timezone ?? 'Unknown'));
    expect(await tableColumn(2, byZone)).toEqual(zones.map((row: Json) => numbers.format(row.members)));
    expect(await tableColumn(3, byZone)).toEqual(zones.map((row: Json) => `${Math.round(row.share * 100)}%`));
    await expectNoSeriousAccessibilityViolation();
    await screenshots('audience');
  });

  it('is readable in the dark colour scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.click('nav a:has-text("Overview")');
    await loaded();
    await expectNoSeriousAccessibilityViolation();
    await screenshots('overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('notes when the last aggregation is old', async () => {
    expect(await page.$('.freshness.stale')).toBeNull();
    await dataSource.query(`UPDATE aggregation_runs SET finished_at = now() - interval '5 hours'`);
    await page.reload();
    await loaded();
    expect(await page.textContent('.freshness.stale')).toMatch(
      /^These numbers were last rolled up 5 hours ago .*: newer activity is not counted yet\.$/,
    );
    await dataSource.query(`UPDATE aggregation_runs SET finished_at = started_at`);
  });

  it('signs out, forgetting the token', async () => {
    await page.click('button:has-text("Sign out")');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    expect(await page.isVisible('#token')).toBe(true);
  });

  it('made no third-party request, put the token in no URL, and logged no console error or CSP violation', () => {
    expect(foreignRequests).toEqual([]);
    expect(requestedUrls.filter((url) => url.includes(READ_TOKEN))).toEqual([]);
    expect(requestedUrls.some((url) => url.includes('/api/v1/metrics/summary'))).toBe(true);
    // The one expected error: the wrong token's 401, which Chromium reports as a failed resource.
    expect(consoleErrors.filter((text) => !/status of 401/.test(text))).toEqual([]);
    expect(api.output()).not.toContain(READ_TOKEN);
  });
});
