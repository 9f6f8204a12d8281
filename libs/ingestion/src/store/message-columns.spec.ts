import type { MessageRecord } from '../records';
import {
  EVENT_INSERT,
  EVENT_UPDATE,
  eventInsertParameters,
  eventUpdateParameters,
  MESSAGE_COLUMNS,
  messageCopyLine,
} from './message-columns';

const record: MessageRecord = {
  channelId: 'C1',
  ts: '1700000000.000123',
  teamId: 'T1',
  userId: 'U1',
  botId: null,
  authorTeamId: 'T2',
  threadTs: null,
  subtype: null,
  isBot: false,
  replyCount: 2,
  latestReplyTs: '1700000100.000001',
  reactions: [{ name: 'tada', count: 2, users: ['U2', 'U3'] }],
  fileCount: 0,
  text: 'line one\nline\ttwo \\ done',
  editedTs: '1700000200.5',
};

function fields(line: string): Record<string, string> {
  const values = line.replace(/\n$/, '').split('\t');
  return Object.fromEntries(MESSAGE_COLUMNS.map((column, index) => [column.name, values[index]]));
}

describe('the messages column description', () => {
  it('encodes a COPY line field per column, posted_at to the microsecond of the ts', () => {
    const line = messageCopyLine(record, 'import');
    expect(line.endsWith('\n')).toBe(true);
    expect(fields(line)).toEqual({
      channel_id: 'C1',
      ts: '1700000000.000123',
      team_id: 'T1',
      user_id: 'U1',
      bot_id: '\\N',
      thread_ts: '\\N',
      subtype: '\\N',
      posted_at: '2023-11-14T22:13:20.000123Z',
      is_bot: 'f',
      reply_count: '2',
      latest_reply_ts: '1700000100.000001',
      reaction_count: '2',
      reactions: '[{"name":"tada","count":2,"users":["U2","U3"]}]',
      reactors: '{"U2","U3"}',
      file_count: '0',
      text: 'line one\\nline\\ttwo \\\\ done',
      edited_at: '2023-11-14T22:16:40.5Z',
      source: 'import',
      author_team_id: 'T2',
    });
  });

  it('binds as many parameters as the event statements use, each once or more', () => {
    const highest = (sql: string) => Math.max(...[...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
    const used = (sql: string) => new Set([...sql.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]))).size;
    const insert = eventInsertParameters(record, 'events');
    const update = eventUpdateParameters(record, 'events', { hasThreadInfo: true, hasReactions: false });
    expect([highest(EVENT_INSERT), used(EVENT_INSERT)]).toEqual([insert.length, insert.length]);
    expect([highest(EVENT_UPDATE), used(EVENT_UPDATE)]).toEqual([update.length, update.length]);
    expect(update.slice(-2)).toEqual([true, false]);
  });
});
