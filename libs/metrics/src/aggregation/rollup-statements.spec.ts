import { ROLLUP_STATEMENTS } from './rebuild';
import {
  activityStatement,
  applyNewRows,
  firstDaysStatement,
  FULL_RUN,
  KEPT_ROWS_OF_SCOPE_DAYS,
  KEPT_ROWS_OF_SCOPE_MEMBERS,
  keptRowsBetween,
  PARTIAL_RUN,
  RollupTable,
  ROLLUP_TABLES,
  runMessagesStatement,
  scopeDaysStatement,
  scopeRangesStatement,
  SCOPE_MEMBERS_STATEMENT,
  Statement,
} from './rollup-statements';

function keptRowsOf(table: RollupTable): Statement {
  if (table === 'team_activity_rollups') return keptRowsBetween('2025-01-01', '2025-02-27');
  if (table === 'member_first_days') return KEPT_ROWS_OF_SCOPE_MEMBERS;
  return KEPT_ROWS_OF_SCOPE_DAYS;
}

/** The highest `$n` a statement's text refers to. */
function highestParameter({ sql }: Statement): number {
  return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
}

describe('rollup statements', () => {
  const statements: Array<[string, Statement]> = [
    ...[FULL_RUN, PARTIAL_RUN].flatMap((shape, index): Array<[string, Statement]> => {
      const run = index === 0 ? 'full' : 'partial';
      return [
        [`${run} run_messages`, runMessagesStatement(shape, 'Asia/Tokyo')],
        ...ROLLUP_STATEMENTS.map(({ table, build }): [string, Statement] => [`${run} ${table}`, build(shape)]),
        [`${run} team_activity_rollups`, activityStatement(shape, '2025-01-01', '2025-02-27')],
        [`${run} member_first_days`, firstDaysStatement(shape, index === 0 ? undefined : 'scope_members')],
      ];
    }),
    ['scope_days', scopeDaysStatement(['2025-01-01', '2025-01-02'])],
    ['scope_ranges', scopeRangesStatement('UTC')],
    ['scope_members', SCOPE_MEMBERS_STATEMENT],
    ...ROLLUP_TABLES.flatMap((table): Array<[string, Statement]> => {
      const { removeChanged, insertNew } = applyNewRows(table, keptRowsOf(table));
      return [
        [`remove changed ${table}`, removeChanged],
        [`insert new ${table}`, insertNew],
      ];
    }),
  ];

  it('replaces first active days by the members active on the days in scope', () => {
    expect(applyNewRows('member_first_days', KEPT_ROWS_OF_SCOPE_MEMBERS).removeChanged.sql).toMatch(
      /WHERE \(kept\.team_id, kept\.user_id\) IN \(SELECT team_id, user_id FROM scope_members\)/,
    );
    expect(firstDaysStatement(PARTIAL_RUN, 'scope_members').sql).toMatch(/FROM scope_members member\s+CROSS JOIN LATERAL/);
    expect(firstDaysStatement(FULL_RUN).sql).not.toMatch(/scope_members/);
  });

  it.each(statements)('%s binds exactly the parameters it refers to', (_name, statement) => {
    expect(statement.params).toHaveLength(highestParameter(statement));
  });

  it('binds the time zone only where days and hours are computed', () => {
    const zoned = statements
      .filter(([, statement]) => statement.params.includes('Asia/Tokyo') || statement.params.includes('UTC'))
      .map(([name]) => name);
    expect(zoned).toEqual(['full run_messages', 'partial run_messages', 'scope_ranges']);
  });

  it('writes a full run straight into the rollups and a partial run into next_ tables', () => {
    for (const { table, build } of ROLLUP_STATEMENTS) {
      expect(build(FULL_RUN).sql).toMatch(new RegExp(`^INSERT INTO ${table} \\(`));
      expect(build(PARTIAL_RUN).sql).toMatch(new RegExp(`^CREATE TEMPORARY TABLE next_${table} ON COMMIT DROP AS`));
    }
  });

  it('replaces DAU/WAU/MAU by the days given and other rollups by the days in scope', () => {
    expect(applyNewRows('team_activity_rollups', keptRowsBetween('2025-01-01', '2025-02-27')).removeChanged).toEqual({
      sql: expect.stringMatching(
        /^DELETE FROM team_activity_rollups kept WHERE kept\.day BETWEEN \$1::date AND \$2::date\s+AND NOT EXISTS/,
      ),
      params: ['2025-01-01', '2025-02-27'],
    });
    expect(applyNewRows('member_day_rollups', KEPT_ROWS_OF_SCOPE_DAYS).removeChanged.sql).toMatch(
      /WHERE kept\.day IN \(SELECT day FROM scope_days\)/,
    );
  });
});
