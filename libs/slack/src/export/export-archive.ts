import { Dirent } from 'node:fs';
import { FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import * as yauzl from 'yauzl';

/** Bad input, with a message that names the file; the CLI prints it as is. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/**
 * A Slack export, as a ZIP or an unpacked directory: the paths of its files
 * (relative, `/`-separated) and a way to read one at a time, so memory holds
 * one file, never the archive.
 */
export interface ExportArchive {
  /** How the archive is named in messages. */
  readonly name: string;
  readonly files: string[];
  read(file: string): Promise<Buffer>;
  /** The contents of `files`, each once, in whatever order reads the archive fastest. */
  readEach(files: string[]): AsyncGenerator<{ file: string; content: Buffer }>;
  close(): Promise<void>;
}

export async function openExport(path: string): Promise<ExportArchive> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ExportError(`${path}: no such file or directory`);
  }
  return info.isDirectory() ? openDirectory(path) : openZip(path);
}

async function openDirectory(root: string): Promise<ExportArchive> {
  const files: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    const entries: Dirent[] = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(directory, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(relative(root, full).split(sep).join('/'));
    }
  };
  await walk(root);
  files.sort();
  const read = (file: string) => readFile(join(root, ...file.split('/')));
  return {
    name: root,
    files,
    read,
    readEach: async function* (wanted) {
      for (const file of wanted) yield { file, content: await read(file) };
    },
    close: async () => undefined,
  };
}

/** Bytes read from the ZIP at a time; a Slack export's entries are small and stored one after another. */
const ZIP_READ_WINDOW_BYTES = 4 * 1024 * 1024;
const LOCAL_HEADER_BYTES = 30;
const STORED = 0;
const DEFLATED = 8;

/**
 * yauzl reads the central directory (and so detects a truncated or foreign
 * file); entries are then read here, in file order through a window of a few
 * MiB and inflated in one call each, which is several times faster than a
 * stream per entry on an export of thousands of small files. Each entry's
 * size and CRC-32 are checked, so a damaged archive is reported, not imported.
 */
async function openZip(path: string): Promise<ExportArchive> {
  const handle = await open(path, 'r');
  const reader = new ZipFileReader(path, handle);
  let entries: Map<string, ZipEntry>;
  try {
    entries = await readDirectory(path, reader, (await handle.stat()).size);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const entryOf = (file: string) => {
    const entry = entries.get(file);
    if (!entry) throw new ExportError(`${path}: ${file}: no such entry`);
    return entry;
  };
  return {
    name: path,
    files: [...entries.keys()].sort(),
    read: (file) => reader.entry(entryOf(file)),
    readEach: async function* (wanted) {
      const inFileOrder = wanted.map(entryOf).sort((left, right) => left.relativeOffsetOfLocalHeader - right.relativeOffsetOfLocalHeader);
      for (const entry of inFileOrder) yield { file: entry.fileName, content: await reader.entry(entry) };
    },
    close: () => handle.close(),
  };
}

async function readDirectory(path: string, reader: ZipFileReader, size: number): Promise<Map<string, ZipEntry>> {
  let zip: yauzl.ZipFile;
  try {
    // The central directory at the end of the file lists every entry; a truncated or foreign file has none.
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    throw new ExportError(`${path}: not a readable ZIP archive (truncated or not a ZIP at all): ${(error as Error).message}`);
  }
  const entries = new Map<string, ZipEntry>();
  try {
    await new Promise<void>((resolveAll, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, zipEntry(entry));
        zip.readEntry();
      });
      zip.once('end', resolveAll);
      zip.once('error', reject);
      zip.readEntry();
    });
  } catch (error) {
    throw new ExportError(`${path}: damaged ZIP directory: ${(error as Error).message}`);
  } finally {
    zip.close();
  }
  return entries;
}

/**
 * What reading an entry needs from the ZIP directory. yauzl's entries also
 * keep raw names, extra fields and comments as Buffers; an export has one
 * entry per channel and day, and these are held for the whole import.
 */
type ZipEntry = Pick<
  yauzl.Entry,
  'fileName' | 'relativeOffsetOfLocalHeader' | 'compressedSize' | 'uncompressedSize' | 'crc32' | 'compressionMethod' | 'generalPurposeBitFlag'
>;

function zipEntry(entry: yauzl.Entry): ZipEntry {
  const { fileName, relativeOffsetOfLocalHeader, compressedSize, uncompressedSize, crc32, compressionMethod, generalPurposeBitFlag } = entry;
  return { fileName, relativeOffsetOfLocalHeader, compressedSize, uncompressedSize, crc32, compressionMethod, generalPurposeBitFlag };
}

/**
 * Reads the ZIP through one window of a few MiB, for yauzl's directory
 * records as for the entries: with yauzl's own file reader every directory
 * record was a separate read, and listing an export of 11,700 files took a
 * second of waiting. Reads are sequential, never concurrent.
 */
class ZipFileReader extends yauzl.RandomAccessReader {
  private buffer = Buffer.allocUnsafe(ZIP_READ_WINDOW_BYTES);
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null, bytesRead?: number) => void): void {
    this.bytes(position, length).then(
      (bytes) => callback(null, bytes ? bytes.copy(buffer, offset) : 0),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.handle.createReadStream({ start, end: end - 1, autoClose: false });
  }

  /** yauzl is done with the directory; the archive closes the file when the import is. */
  override close(callback: (error: Error | null) => void): void {
    setImmediate(() => callback(null));
  }

  async entry(entry: ZipEntry): Promise<Buffer> {
    const fail = (problem: string) => new ExportError(`${this.path}: ${entry.fileName}: ${problem} (truncated or damaged archive)`);
    if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw new ExportError(`${this.path}: ${entry.fileName}: encrypted entries are not supported`);
    const header = await this.bytes(entry.relativeOffsetOfLocalHeader, LOCAL_HEADER_BYTES);
    if (!header || header.readUInt32LE(0) !== 0x04034b50) throw fail('no local file header where the directory points');
    const dataStart = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
    const data = await this.bytes(dataStart, entry.compressedSize);
    if (!data) throw fail('ends before the entry does');
    let content: Buffer;
    if (entry.compressionMethod === STORED) content = Buffer.from(data);
    else if (entry.compressionMethod === DEFLATED) {
      try {
        content = inflateRawSync(data);
      } catch (error) {
        throw fail(`cannot be inflated: ${(error as Error).message}`);
      }
    } else throw new ExportError(`${this.path}: ${entry.fileName}: unsupported compression method ${entry.compressionMethod}`);
    if (content.length !== entry.uncompressedSize || crc32(content) !== entry.crc32) throw fail('size or checksum does not match');
    return content;
  }

  /**
   * `length` bytes at `offset`, or undefined if the file ends first. The
   * result points into a buffer reused by the next call, so callers copy
   * what they keep (inflating copies anyway).
   */
  private async bytes(offset: number, length: number): Promise<Buffer | undefined> {
    if (offset < this.windowStart || offset + length > this.windowStart + this.window.length) {
      if (this.buffer.length < length) this.buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, offset);
      this.window = this.buffer.subarray(0, bytesRead);
      this.windowStart = offset;
    }
    const start = offset - this.windowStart;
    return start + length <= this.window.length ? this.window.subarray(start, start + length) : undefined;
  }
}

/** `a/b/c.json` → `a/b`; `c.json` → ``. */
export function directoryOf(file: string): string {
  const directory = posix.dirname(file);
  return directory === '.' ? '' : directory;
}
