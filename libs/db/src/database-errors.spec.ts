import { isDatabaseUnavailable, refusedValueSqlState } from './database-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a server shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['too many connections', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['a wrapped driver error', { message: 'Query failed', driverError: { code: '08006', message: 'connection failure' } }],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a syntax error', Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' })],
    ['a unique violation', { message: 'duplicate key', driverError: { code: '23505', message: 'duplicate key value' } }],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['nothing', undefined],
  ])('does not mistake %s for an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('refusedValueSqlState', () => {
  it('names the SQLSTATE of a value the database refuses for good, wrapped or not', () => {
    expect(refusedValueSqlState(Object.assign(new Error('integer out of range'), { code: '22003' }))).toBe('22003');
    expect(refusedValueSqlState({ message: 'Query failed', driverError: { code: '23514', message: 'violates check constraint' } })).toBe(
      '23514',
    );
    expect(refusedValueSqlState(Object.assign(new Error('index row size exceeds btree maximum'), { code: '54000' }))).toBe('54000');
  });

  it('leaves outages and bugs alone, which a retry may fix', () => {
    expect(refusedValueSqlState(Object.assign(new Error('relation "processed_events" does not exist'), { code: '42P01' }))).toBeUndefined();
    expect(refusedValueSqlState(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBeUndefined();
    expect(refusedValueSqlState(new TypeError('x is undefined'))).toBeUndefined();
  });
});
