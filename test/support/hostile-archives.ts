/**
 * Generated and mutated Slack export archives for property-based fuzzing of
 * `worker import`: a seeded fixture export, then mutations of its JSON values
 * (poison values and wrong types), of its bytes (truncation, flips, encodings),
 * of its file list (hostile names, strays, duplicates) and of the ZIP structure
 * (forged sizes, offsets, methods, flags, directory records, truncation), and
 * now and then a large or bomb-like day file.
 */
import * as fc from 'fast-check';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createSlackExportFixture } from './slack-export-fixture';
import { endOfCentralDirectory, EntryPatch, patchEntry, repeatedDeflate, zipOf, zipRecords } from './zip-patch';

/**
 * Stands for an array nested 5,000 deep, put in only as text when a file is
 * serialized: fast-check prints values and JSON.stringify writes them
 * recursively, and neither takes that depth.
 */
const DEEP_NESTING = '<array nested 5000 deep>';

/** Text that must never appear in an error message: it stands for message content. */
export const CANARY_TEXT = 'zqxj canary of message text';

const POISON_VALUES: unknown[] = [
  1e300,
  -5,
  1.5,
  3e9,
  1e12,
  2 ** 53,
  -0,
  '\u0000',
  'bot\u0000message',
  '\ud800',
  '日本語 ☃',
  '',
  'x'.repeat(70_000),
  [],
  {},
  ['a', 'b'],
  null,
  true,
  '253402300800.000100',
  '12345678901234567890.000100',
  '0.0',
  '-1.5',
  '1709510400.1234567',
  '1709510400',
  { ts: '1709510400.000100' },
  [
    { name: 'tada', count: 2e9 },
    { name: 'tada', count: 2e9 },
  ],
  [{ name: '\u0000', count: 1e12, users: ['U0000001', 7, null] }],
  DEEP_NESTING,
];

const MESSAGE_FIELDS = [
  'ts',
  'user',
  'bot_id',
  'subtype',
  'thread_ts',
  'reply_count',
  'latest_reply',
  'reactions',
  'files',
  'file',
  'edited',
  'text',
  'type',
];
const USER_FIELDS = ['id', 'team_id', 'name', 'real_name', 'profile', 'deleted', 'is_bot', 'tz'];
const CHANNEL_FIELDS = ['id', 'name', 'created', 'num_members', 'members', 'is_archived'];

/** Names no export has; written into the ZIP byte by byte, past what yazl would accept. */
const HOSTILE_NAMES: Buffer[] = [
  '../../etc/passwd',
  '/abs/general/2024-03-04.json',
  'general\\2024-03-04.json',
  'gen\u0000eral/2024-03-04.json',
  'general/../../escape.json',
  `${'a'.repeat(300)}/2024-03-04.json`,
  '__MACOSX/general/._2024-03-04.json',
  'general/2024-03-04.json',
  'GENERAL/2024-03-04.json',
  'general/2024-13-45.json',
  'général/2024-03-04.json',
  'no-such-channel/2024-03-04.json',
  'users.json',
  'nested/deeper/channels.json',
].map((name) => Buffer.from(name));
HOSTILE_NAMES.push(Buffer.from([0xff, 0xfe, 0x2f, 0x61]), Buffer.from([0x67, 0xe9, 0x6e, 0x2f, 0x61, 0x2e, 0x6a]));

const SIZES = [0, 1, 29, 30, 0x7fffffff, 0xfffffff0, 0xffffffff, 2 ** 32, 2 ** 45, 2 ** 53, 2 ** 63, 2 ** 64 - 2 ** 11];

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const poison = fc.oneof(fc.constantFrom(...POISON_VALUES), fc.jsonValue({ maxDepth: 3 }));

const valueMutation = fc.record({
  kind: fc.constant('value' as const),
  target: fc.constantFrom('message', 'user', 'channel'),
  at: fraction,
  field: fc.integer({ min: 0, max: 99 }),
  value: poison,
  /** Replace the whole element instead of one field. */
  whole: fc.boolean(),
});

const byteMutation = fc.record({
  kind: fc.constant('bytes' as const),
  file: fraction,
  change: fc.constantFrom('truncate', 'flip', 'insert', 'bom', 'utf16', 'invalid-utf8', 'random', 'empty', 'object', 'twice'),
  at: fraction,
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

const fileMutation = fc.oneof(
  fc.record({
    kind: fc.constant('remove' as const),
    file: fc.constantFrom('users.json', 'channels.json', 'groups.json', 'first day file'),
  }),
  fc.record({
    kind: fc.constant('hostile name' as const),
    name: fc.constantFrom(...HOSTILE_NAMES),
    content: fc.constantFrom('[]', '[{"type":"message","ts":"1709510400.000100"}]', 'not json', ''),
  }),
  fc.record({ kind: fc.constant('same-name channel' as const) }),
);

const zipMutation = fc.oneof(
  fc.record({
    kind: fc.constant('entry field' as const),
    entry: fraction,
    field: fc.constantFrom<keyof EntryPatch>(
      'compressedSize',
      'uncompressedSize',
      'localHeaderOffset',
      'compressionMethod',
      'crc32',
      'generalPurposeBitFlag',
    ),
    value: fc.oneof(fc.constantFrom(...SIZES), fc.nat({ max: 0xffffffff }), fc.nat({ max: 64 })),
  }),
  fc.record({
    kind: fc.constant('directory record' as const),
    field: fc.constantFrom(8, 10, 12, 16, 20),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('flip' as const), at: fraction, byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('prepend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

/** A day file far larger than a real one: valid, cut short, or a deflate bomb that lies about its size. */
const largeDayFile = fc.record({
  megabytes: fc.integer({ min: 5, max: 40 }),
  shape: fc.constantFrom('valid', 'cut', 'bomb-lying', 'bomb-declared'),
});

type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;

export type ArchivePlan = {
  seed: number;
  days: number;
  messagesPerDay: number;
  folderNames: 'name' | 'id';
  pretty: boolean;
  layout: 'zip' | 'directory';
  stored: boolean;
  zip64: boolean;
  valueMutations: Generated<typeof valueMutation>[];
  byteMutations: Generated<typeof byteMutation>[];
  fileMutations: Generated<typeof fileMutation>[];
  zipMutations: Generated<typeof zipMutation>[];
  large: Generated<typeof largeDayFile> | null;
};

/** Mutations in one case of three: most of them make the archive unreadable, and value poisoning needs readable ones too. */
function sometimes<T>(mutations: fc.Arbitrary<T[]>): fc.Arbitrary<T[]> {
  return fc.oneof({ arbitrary: fc.constant<T[]>([]), weight: 2 }, { arbitrary: mutations, weight: 1 });
}

/** Archive plans; `withLarge` lets some carry a large day file (for runs through the worker process, whose memory is measured). */
export function archivePlans(withLarge: boolean): fc.Arbitrary<ArchivePlan> {
  return fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    days: fc.integer({ min: 1, max: 3 }),
    messagesPerDay: fc.integer({ min: 1, max: 12 }),
    folderNames: fc.constantFrom('name', 'id'),
    pretty: fc.boolean(),
    layout: fc.constantFrom('zip', 'zip', 'zip', 'directory'),
    stored: fc.boolean(),
    zip64: fc.boolean(),
    valueMutations: fc.array(valueMutation, { maxLength: 4 }),
    byteMutations: sometimes(fc.array(byteMutation, { minLength: 1, maxLength: 2 })),
    fileMutations: sometimes(fc.array(fileMutation, { minLength: 1, maxLength: 2 })),
    zipMutations: sometimes(fc.array(zipMutation, { minLength: 1, maxLength: 3 })),
    large: withLarge ? fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: largeDayFile, weight: 1 }) : fc.constant(null),
  });
}

interface ArchiveFile {
  name: Buffer;
  content: Buffer;
}

function pick<T>(items: T[], at: number): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(at * items.length)];
}

function mutateValue(element: unknown, field: number, value: unknown, whole: boolean, fields: string[]): unknown {
  if (whole || typeof element !== 'object' || element === null) return value;
  return { ...element, [fields[field % fields.length]]: value };
}

function mutateBytes(content: Buffer, change: string, at: number, bytes: Uint8Array): Buffer {
  const position = Math.floor(at * content.length);
  switch (change) {
    case 'truncate':
      return content.subarray(0, position);
    case 'flip': {
      const copy = Buffer.from(content);
      if (copy.length > 0) copy[position] ^= bytes[0] || 1;
      return copy;
    }
    case 'insert':
      return Buffer.concat([content.subarray(0, position), bytes, content.subarray(position)]);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), content]);
    case 'utf16':
      return Buffer.from(content.toString('utf8'), 'utf16le');
    case 'invalid-utf8':
      return Buffer.concat([content.subarray(0, position), Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]), content.subarray(position)]);
    case 'random':
      return Buffer.from(bytes);
    case 'empty':
      return Buffer.alloc(0);
    case 'object':
      return Buffer.concat([Buffer.from('{"messages":'), content, Buffer.from('}')]);
    default:
      return Buffer.concat([content, content]);
  }
}

/** The export's files after the plan's value, byte and file mutations. */
function exportFiles(plan: ArchivePlan): ArchiveFile[] {
  const fixture = createSlackExportFixture({
    seed: plan.seed,
    days: plan.days,
    messagesPerDay: plan.messagesPerDay,
    folderNames: plan.folderNames,
  });
  const users: unknown[] = [...fixture.users];
  const channels: unknown[] = [...fixture.lists['channels.json']];
  const days = [...fixture.dayFiles()].map((day) => ({ path: day.path, messages: [...day.messages] as unknown[] }));
  days[0]?.messages.push({ type: 'message', ts: '1709510400.000900', user: 'U0000001', text: CANARY_TEXT });
  const messages = days.flatMap((day) => day.messages.map((_, index) => ({ day, index })));

  for (const { target, at, field, value, whole } of plan.valueMutations) {
    if (target === 'message') {
      const chosen = pick(messages, at);
      if (chosen) chosen.day.messages[chosen.index] = mutateValue(chosen.day.messages[chosen.index], field, value, whole, MESSAGE_FIELDS);
    } else {
      const [list, fields] = target === 'user' ? [users, USER_FIELDS] : [channels, CHANNEL_FIELDS];
      const index = Math.floor(at * list.length);
      if (list.length > 0) list[index] = mutateValue(list[index], field, value, whole, fields);
    }
  }
  const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
  const json = (content: unknown) =>
    Buffer.from((plan.pretty ? JSON.stringify(content, null, 4) : JSON.stringify(content)).replaceAll(JSON.stringify(DEEP_NESTING), deep));
  const files: ArchiveFile[] = [
    { name: Buffer.from('users.json'), content: json(users) },
    { name: Buffer.from('channels.json'), content: json(channels) },
    ...(['groups.json', 'dms.json', 'mpims.json'] as const).map((name) => ({
      name: Buffer.from(name),
      content: json(fixture.lists[name]),
    })),
    ...days.map((day) => ({ name: Buffer.from(day.path), content: json(day.messages) })),
  ];
  for (const { file, change, at, bytes } of plan.byteMutations) {
    const chosen = pick(files, file);
    if (chosen) chosen.content = mutateBytes(chosen.content, change, at, bytes);
  }
  for (const mutation of plan.fileMutations) {
    if (mutation.kind === 'remove') {
      const name = mutation.file === 'first day file' ? days[0]?.path : mutation.file;
      const index = files.findIndex((candidate) => candidate.name.toString() === name);
      if (index >= 0) files.splice(index, 1);
    } else if (mutation.kind === 'hostile name') files.push({ name: mutation.name, content: Buffer.from(mutation.content) });
    else {
      const first = fixture.lists['channels.json'][0];
      const list = files.find((candidate) => candidate.name.toString() === 'channels.json');
      if (list) list.content = json([...fixture.lists['channels.json'], { ...first, id: 'C0DUPLICATE' }]);
    }
  }
  return files;
}

/** A large day file's content for the ZIP: the stored bytes, and what the directory should declare if it is to lie. */
function largeEntry(large: NonNullable<ArchivePlan['large']>): { content: Buffer; method?: number; declared?: number } {
  const bytes = large.megabytes * 1024 * 1024;
  if (large.shape === 'bomb-lying' || large.shape === 'bomb-declared') {
    // Whitespace may precede an array, so only sizes stop it; a declared bomb says what it holds.
    const data = repeatedDeflate(Buffer.alloc(16 * 1024 * 1024, ' '), large.megabytes * 4);
    return { content: data, method: 8, declared: large.shape === 'bomb-lying' ? bytes / 2 : large.megabytes * 4 * 16 * 1024 * 1024 };
  }
  const text = 'lorem ipsum '.repeat(300);
  const parts: string[] = ['['];
  let size = 1;
  for (let index = 0; size < bytes; index++) {
    const message = `${index > 0 ? ',' : ''}{"type":"message","ts":"${1709510400 + index}.000100","user":"U0000001","text":"${text}"}`;
    parts.push(message);
    size += message.length;
  }
  parts.push(']');
  const content = Buffer.from(parts.join(''));
  return { content: large.shape === 'cut' ? content.subarray(0, Math.floor(content.length * 0.7)) : content };
}

function hostileSafe(name: Buffer): boolean {
  const text = name.toString();
  return (
    !text.split(/[\\/]/).includes('..') &&
    !text.startsWith('/') &&
    !text.includes('\u0000') &&
    Buffer.from(text).equals(name) &&
    text.length < 200
  );
}

/**
 * Writes the plan's archive under `directory` and returns its path. Names
 * yazl refuses are written as same-length placeholders and patched in. An
 * unpacked directory gets only names a file system can hold inside it.
 */
export async function writeArchive(plan: ArchivePlan, directory: string): Promise<string> {
  const files = exportFiles(plan);
  if (plan.layout === 'directory') {
    const root = join(directory, 'export');
    for (const { name, content } of files) {
      if (!hostileSafe(name)) continue;
      const path = join(root, name.toString());
      await mkdir(dirname(path), { recursive: true });
      // A name that is both a file and a folder in the plan keeps the first.
      await writeFile(path, content, { flag: 'wx' }).catch(() => undefined);
    }
    return root;
  }
  const large = plan.large ? largeEntry(plan.large) : undefined;
  const placeholders = files.map(({ name }, index) =>
    `p${index}`.padEnd(name.length, 'z').slice(0, Math.max(name.length, `p${index}`.length)),
  );
  const entries = files.map(({ content }, index) => ({ name: placeholders[index], content, stored: plan.stored, zip64: plan.zip64 }));
  if (large) entries.push({ name: 'general/2024-03-09.json', content: large.content, stored: true, zip64: true });
  const zip = await zipOf(entries);
  const records = zipRecords(zip);
  files.forEach(({ name }, index) => {
    const record = records[index];
    if (name.length !== placeholders[index].length) return;
    name.copy(zip, record.central + 46);
    name.copy(zip, record.local + 30);
  });
  if (large?.method !== undefined)
    patchEntry(zip, 'general/2024-03-09.json', { compressionMethod: large.method, uncompressedSize: large.declared });
  let bytes = zip;
  for (const mutation of plan.zipMutations) bytes = mutateZip(bytes, mutation);
  const path = join(directory, 'export.zip');
  await writeFile(path, bytes);
  return path;
}

function mutateZip(zip: Buffer, mutation: ArchivePlan['zipMutations'][number]): Buffer {
  try {
    switch (mutation.kind) {
      case 'entry field': {
        const record = pick(zipRecords(zip), mutation.entry);
        const narrow =
          mutation.field === 'compressionMethod' || mutation.field === 'generalPurposeBitFlag' ? mutation.value % 0x10000 : mutation.value;
        if (record) patchEntry(zip, record.name, { [mutation.field]: mutation.field === 'crc32' ? mutation.value % 2 ** 32 : narrow });
        return zip;
      }
      case 'directory record': {
        const end = endOfCentralDirectory(zip);
        if (mutation.field === 16 || mutation.field === 12) zip.writeUInt32LE(mutation.value, end + mutation.field);
        else zip.writeUInt16LE(mutation.value % 0x10000, end + mutation.field);
        return zip;
      }
      case 'truncate':
        return zip.subarray(0, Math.floor(mutation.at * zip.length));
      case 'flip':
        zip[Math.floor(mutation.at * zip.length)] ^= mutation.byte;
        return zip;
      case 'append':
        return Buffer.concat([zip, mutation.bytes]);
      default:
        return Buffer.concat([mutation.bytes, zip]);
    }
  } catch {
    // An earlier mutation left nothing this one can find (no directory, say): the ZIP stays as it is.
    return zip;
  }
}
