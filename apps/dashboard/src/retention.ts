import type { CohortGranularity, MembersFlowPeriod, RetentionCell } from '@app/metrics';
import { getJson } from './api';
import { chart } from './charts';
import { h, scrollingTable } from './dom';
import { count, periodLabel, share } from './format';
import { ViewContext, csvButton, emptyNote, section, teamQuery } from './views';

const SHARE_LEVELS = 8;

/** Cohorts are weekly or monthly: a day's cohort would hold a handful of members. */
function cohortGranularity(context: ViewContext): CohortGranularity {
  return context.state.granularity === 'month' ? 'month' : 'week';
}

/** One row per cohort, one column per period after it; each share coloured by the heatmap's scale. */
function cohortTable(cells: RetentionCell[], granularity: CohortGranularity): HTMLElement {
  const cohorts = [...new Set(cells.map((cell) => cell.cohort))];
  const periods = Math.max(...cells.map((cell) => cell.period)) + 1;
  const name = granularity === 'week' ? 'Week' : 'Month';
  const head = ['Cohort', 'Members', ...Array.from({ length: periods }, (_, period) => `${name} ${period}`)];
  const rows = cohorts.map((cohort) => {
    const own = cells.filter((cell) => cell.cohort === cohort);
    return [
      periodLabel(cohort, granularity),
      count(own[0].cohortSize),
      ...Array.from({ length: periods }, (_, period) => {
        const cell = own.find((candidate) => candidate.period === period);
        if (!cell) return '';
        const level = cell.active === 0 ? 0 : Math.max(1, Math.ceil(cell.share * SHARE_LEVELS));
        return h(
          'span',
          {
            class: `share share-${level}`,
            'data-cohort': cohort,
            'data-period': period,
            'data-active': cell.active,
            title: `${count(cell.active)} of ${count(cell.cohortSize)} active in ${periodLabel(cell.date, granularity)}`,
          },
          share(cell.share),
        );
      }),
    ];
  });
  return scrollingTable('Retention by cohort', head, rows);
}

export async function retention(context: ViewContext): Promise<HTMLElement> {
  const query = teamQuery(context);
  const granularity = cohortGranularity(context);
  const flowGranularity = context.state.granularity;
  const [cohorts, flow] = await Promise.all([
    getJson<{ data: RetentionCell[] }>(context.token, 'metrics/retention', { ...query, granularity }),
    getJson<{ data: MembersFlowPeriod[] }>(context.token, 'metrics/members-flow', { ...query, granularity: flowGranularity }),
  ]);
  const noFlow = flow.data.every((row) => row.active === 0 && row.churned === 0);
  return h(
    'div',
    {},
    section(
      'Retention',
      h(
        'p',
        { class: 'help' },
        `Members grouped by the ${granularity} of their first activity ever, and the share of each group active in each ${granularity} after it.`,
      ),
      h('div', { class: 'section-actions' }, csvButton(context, 'metrics/retention', { ...query, granularity }, 'the retention cohorts')),
      cohorts.data.length === 0 ? emptyNote(context.range, 'newcomer') : cohortTable(cohorts.data, granularity),
    ),
    noFlow
      ? section('New, returning and churned members', emptyNote(context.range))
      : chart({
          title: `New, returning and churned members per ${flowGranularity}`,
          periodName: `${flowGranularity[0].toUpperCase()}${flowGranularity.slice(1)}`,
          kind: 'line',
          labels: flow.data.map((row) => periodLabel(row.date, flowGranularity)),
          series: [
            { name: 'New', values: flow.data.map((row) => row.new) },
            { name: 'Returning', values: flow.data.map((row) => row.returning) },
            { name: 'Churned', values: flow.data.map((row) => row.churned) },
            { name: 'Active', values: flow.data.map((row) => row.active) },
          ],
          actions: [
            csvButton(context, 'metrics/members-flow', { ...query, granularity: flowGranularity }, `members flow per ${flowGranularity}`),
          ],
        }),
  );
}
