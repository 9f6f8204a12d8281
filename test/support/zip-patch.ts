/**
 * Byte-level surgery on ZIP files written by yazl, for hostile-input tests:
 * finds each entry's central-directory record and local header and rewrites
 * their fields, the ZIP64 extended-information field included, the way a
 * forger would.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_RECORD = 0x02014b50;
const ZIP64_EXTRA_FIELD = 0x0001;
const ZIP64_MARK = 0xffffffff;

export interface ZipRecord {
  name: string;
  /** Offset of the entry's central-directory record. */
  central: number;
  /** Offset of the entry's local header. */
  local: number;
}

/** Offset of the end-of-central-directory record (a yazl ZIP has no comment). */
export function endOfCentralDirectory(zip: Buffer): number {
  const offset = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (offset < 0 || zip.readUInt32LE(offset) !== END_OF_CENTRAL_DIRECTORY) throw new Error('no end of central directory record');
  return offset;
}

/** The central-directory records, in order. */
export function zipRecords(zip: Buffer): ZipRecord[] {
  const records: ZipRecord[] = [];
  const end = endOfCentralDirectory(zip);
  let offset = zip.readUInt32LE(end + 16);
  if (offset === ZIP64_MARK) offset = Number(zip.readBigUInt64LE(zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06])) + 48));
  while (offset < zip.length && zip.readUInt32LE(offset) === CENTRAL_DIRECTORY_RECORD) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    let local = zip.readUInt32LE(offset + 42);
    if (local === ZIP64_MARK) local = Number(zip64Fields(zip, offset).get('local'));
    records.push({ name, central: offset, local });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return records;
}

type Zip64Field = 'uncompressedSize' | 'compressedSize' | 'local';

/** Offsets of the ZIP64 fields of a central-directory record, in the order the format gives them. */
function zip64FieldOffsets(zip: Buffer, central: number): Map<Zip64Field, number> {
  const nameLength = zip.readUInt16LE(central + 28);
  const extraEnd = central + 46 + nameLength + zip.readUInt16LE(central + 30);
  const fields = new Map<Zip64Field, number>();
  for (let extra = central + 46 + nameLength; extra + 4 <= extraEnd; extra += 4 + zip.readUInt16LE(extra + 2)) {
    if (zip.readUInt16LE(extra) !== ZIP64_EXTRA_FIELD) continue;
    let field = extra + 4;
    for (const [name, at] of [
      ['uncompressedSize', 24],
      ['compressedSize', 20],
      ['local', 42],
    ] as const) {
      if (zip.readUInt32LE(central + at) !== ZIP64_MARK) continue;
      fields.set(name, field);
      field += 8;
    }
  }
  return fields;
}

function zip64Fields(zip: Buffer, central: number): Map<Zip64Field, bigint> {
  return new Map([...zip64FieldOffsets(zip, central)].map(([name, at]) => [name, zip.readBigUInt64LE(at)]));
}

export interface EntryPatch {
  compressedSize?: number;
  uncompressedSize?: number;
  localHeaderOffset?: number;
  compressionMethod?: number;
  crc32?: number;
  generalPurposeBitFlag?: number;
}

/**
 * Rewrites fields of one entry in place: sizes and offsets in the central
 * directory (in its ZIP64 field where the record has one), method, flags and
 * CRC in both the central record and the local header.
 */
export function patchEntry(zip: Buffer, name: string, patch: EntryPatch): void {
  const record = zipRecords(zip).find((candidate) => candidate.name === name);
  if (!record) throw new Error(`no entry ${name}`);
  const zip64 = zip64FieldOffsets(zip, record.central);
  const setSize = (field: Zip64Field, at: number, value: number) => {
    const wide = zip64.get(field);
    if (wide !== undefined) zip.writeBigUInt64LE(BigInt(value), wide);
    else zip.writeUInt32LE(value, record.central + at);
  };
  if (patch.compressedSize !== undefined) setSize('compressedSize', 20, patch.compressedSize);
  if (patch.uncompressedSize !== undefined) setSize('uncompressedSize', 24, patch.uncompressedSize);
  if (patch.localHeaderOffset !== undefined) setSize('local', 42, patch.localHeaderOffset);
  if (patch.compressionMethod !== undefined) {
    zip.writeUInt16LE(patch.compressionMethod, record.central + 10);
    zip.writeUInt16LE(patch.compressionMethod, record.local + 8);
  }
  if (patch.crc32 !== undefined) {
    zip.writeUInt32LE(patch.crc32, record.central + 16);
    zip.writeUInt32LE(patch.crc32, record.local + 14);
  }
  if (patch.generalPurposeBitFlag !== undefined) {
    zip.writeUInt16LE(patch.generalPurposeBitFlag, record.central + 8);
    zip.writeUInt16LE(patch.generalPurposeBitFlag, record.local + 6);
  }
}

/**
 * Raw deflate data that inflates to `repeats` × `block`, built in
 * milliseconds: the block is deflated once with a full flush (which resets
 * the dictionary, so the output stands alone) and repeated, then closed by an
 * empty final block.
 */
export function repeatedDeflate(block: Buffer, repeats: number): Buffer {
  const segment = deflateRawSync(block, { finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([...Array.from({ length: repeats }, () => segment), deflateRawSync(Buffer.alloc(0))]);
}

/** A stream of `count` chunks made by `make`, for yazl's addReadStream: large content without holding it. */
export function generatedStream(count: number, make: (index: number) => Buffer): Readable {
  let index = 0;
  return new Readable({
    read() {
      this.push(index < count ? make(index++) : null);
    },
  });
}

export interface ZipFileSpec {
  name: string;
  content: Buffer | Readable;
  /** Store instead of deflating. */
  stored?: boolean;
  /** Sizes and offset in a ZIP64 field, as archives over 4 GiB have them. */
  zip64?: boolean;
}

/** A ZIP of the given files, written by yazl into memory. */
export async function zipOf(files: ZipFileSpec[]): Promise<Buffer> {
  const zip = new ZipFile();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const { name, content, stored, zip64 } of files) {
    const options = { mtime, compress: !stored, forceZip64Format: zip64 === true };
    if (Buffer.isBuffer(content)) zip.addBuffer(content, name, options);
    else zip.addReadStream(content, name, options);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
