import Fastify, { FastifyInstance } from 'fastify';
import { installReusedJsonSerializer, reusedBody } from './reused-json';

describe('reused JSON bodies', () => {
  let server: FastifyInstance;
  const cachedAnswer = reusedBody({ teamId: 'T1', data: [{ channelId: 'C1', messages: 3, name: 'général' }] });

  beforeAll(async () => {
    server = Fastify();
    installReusedJsonSerializer(server);
    server.get('/cached', async () => cachedAnswer);
    server.get('/fresh', async () => ({ at: 'fresh', data: [1, 2] }));
    await server.ready();
  });

  afterAll(() => server.close());
  afterEach(() => jest.restoreAllMocks());

  it('serializes a marked body once and sends the same JSON every time', async () => {
    const stringify = jest.spyOn(JSON, 'stringify');
    const first = await server.inject('/cached');
    const second = await server.inject('/cached');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.json()).toEqual({ teamId: 'T1', data: [{ channelId: 'C1', messages: 3, name: 'général' }] });
    expect(second.body).toBe(first.body);
    expect(second.headers['content-length']).toBe(String(Buffer.byteLength(first.body)));
    expect(stringify.mock.calls.filter(([value]) => value === cachedAnswer)).toHaveLength(1);
  });

  it('serializes other bodies on every reply', async () => {
    const stringify = jest.spyOn(JSON, 'stringify');
    await server.inject('/fresh');
    await server.inject('/fresh');
    expect(stringify.mock.calls.filter(([value]) => (value as { at?: string })?.at === 'fresh')).toHaveLength(2);
    expect((await server.inject('/fresh')).json()).toEqual({ at: 'fresh', data: [1, 2] });
  });

  it('freezes a marked body all through, so its JSON cannot go stale', () => {
    expect(() => ((cachedAnswer.data[0] as { messages: number }).messages = 4)).toThrow(TypeError);
    expect(() => cachedAnswer.data.push({ channelId: 'C2', messages: 1, name: 'x' })).toThrow(TypeError);
  });
});
