import { createReadStream, Dirent } from 'node:fs';
import { FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import * as yauzl from 'yauzl';

/** Bad input, with a message that names the file; the CLI prints it as is. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/**
 * A file's content: whole when it is small (most of an export's files are a
 * few KiB, and one buffer is the fastest way to read them), otherwise in
 * chunks of about a MiB, which the reader must take in order.
 */
export type FileContent = Buffer | AsyncIterable<Buffer>;

/**
 * A Slack export, as a ZIP or an unpacked directory: the paths of its files
 * (relative, `/`-separated) and a way to read one at a time, so memory holds
 * a chunk of one file, never the archive.
 */
export interface ExportArchive {
  /** How the archive is named in messages. */
  readonly name: string;
  readonly files: string[];
  read(file: string): Promise<FileContent>;
  /** The contents of `files`, each once, in whatever order reads the archive fastest; each is read before the next. */
  readEach(files: string[]): AsyncGenerator<{ file: string; content: FileContent }>;
  close(): Promise<void>;
}

export interface ExportReadOptions {
  /** The most bytes one file may hold (uncompressed); a larger one stops the import. */
  maxFileBytes: number;
}

/** Files up to this size are read whole; larger ones in chunks of CHUNK_BYTES. */
const WHOLE_FILE_BYTES = 4 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

export async function openExport(path: string, options: ExportReadOptions): Promise<ExportArchive> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ExportError(`${path}: no such file or directory`);
  }
  return info.isDirectory() ? openDirectory(path, options) : openZip(path, options);
}

function tooLarge(archive: string, file: string, bytes: number, { maxFileBytes }: ExportReadOptions): ExportError {
  return new ExportError(
    `${archive}: ${file}: ${bytes} bytes, more than the limit of ${maxFileBytes / 1024 / 1024} MiB for one file (--max-file-mib or IMPORT_MAX_FILE_MIB)`,
  );
}

async function openDirectory(root: string, options: ExportReadOptions): Promise<ExportArchive> {
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
  const read = async (file: string): Promise<FileContent> => {
    const path = join(root, ...file.split('/'));
    const { size } = await stat(path);
    if (size > options.maxFileBytes) throw tooLarge(root, file, size, options);
    if (size <= WHOLE_FILE_BYTES) return readFile(path);
    return (async function* () {
      // The file may grow while it is read; the limit holds for what is read.
      let bytesRead = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        bytesRead += chunk.length;
        if (bytesRead > options.maxFileBytes) throw tooLarge(root, file, bytesRead, options);
        yield chunk;
      }
    })();
  };
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
 * file); every entry's offset and sizes are then checked against the file
 * before anything is read: ZIP sizes are 32 or 64 bits that anyone can
 * forge. Entries are read here, in file order through a window of a few MiB
 * and inflated in one call each, which is several times faster than a stream
 * per entry on an export of thousands of small files; a large entry is
 * inflated as a stream. Each entry's size and CRC-32 are checked, so a
 * damaged archive is reported, not imported, and an entry that inflates past
 * its declared size (a ZIP bomb) is stopped there.
 */
async function openZip(path: string, options: ExportReadOptions): Promise<ExportArchive> {
  const handle = await open(path, 'r');
  let reader: ZipFileReader;
  let entries: Map<string, ZipEntry>;
  try {
    reader = new ZipFileReader(path, handle, (await handle.stat()).size, options);
    entries = await readDirectory(path, reader);
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

async function readDirectory(path: string, reader: ZipFileReader): Promise<Map<string, ZipEntry>> {
  let zip: yauzl.ZipFile;
  try {
    // The central directory at the end of the file lists every entry; a truncated or foreign file has none.
    zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.size, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    throw new ExportError(`${path}: not a readable ZIP archive (truncated or not a ZIP at all): ${(error as Error).message}`);
  }
  const listed: ZipEntry[] = [];
  try {
    await new Promise<void>((resolveAll, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        listed.push(zipEntry(entry));
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
  checkLayout(path, listed, reader.size);
  const entries = new Map<string, ZipEntry>();
  for (const entry of listed) {
    if (entry.fileName.endsWith('/')) continue;
    if (entries.has(entry.fileName)) throw new ExportError(`${path}: damaged ZIP directory: two entries are named ${entry.fileName}`);
    entries.set(entry.fileName, entry);
  }
  return entries;
}

/**
 * Every entry must lie inside the file, and no two may share bytes: entries
 * that overlap are how a small ZIP unpacks to petabytes, and no tool that
 * writes ZIPs produces them.
 */
function checkLayout(path: string, entries: ZipEntry[], fileSize: number): void {
  const damaged = (entry: ZipEntry, problem: string) => new ExportError(`${path}: damaged ZIP directory: ${entry.fileName} ${problem}`);
  for (const entry of entries) {
    const { relativeOffsetOfLocalHeader: offset, compressedSize, uncompressedSize } = entry;
    if (![offset, compressedSize, uncompressedSize].every(Number.isSafeInteger))
      throw damaged(entry, 'has an offset or size past 2^53 bytes');
    if (offset + LOCAL_HEADER_BYTES + compressedSize > fileSize) {
      throw damaged(entry, `lies past the end of the file (${compressedSize} bytes at offset ${offset} in a file of ${fileSize})`);
    }
  }
  const inFileOrder = [...entries].sort((left, right) => left.relativeOffsetOfLocalHeader - right.relativeOffsetOfLocalHeader);
  for (let index = 1; index < inFileOrder.length; index++) {
    const previous = inFileOrder[index - 1];
    if (
      previous.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + previous.compressedSize >
      inFileOrder[index].relativeOffsetOfLocalHeader
    ) {
      throw damaged(previous, `overlaps ${inFileOrder[index].fileName}`);
    }
  }
}

/**
 * What reading an entry needs from the ZIP directory. yauzl's entries also
 * keep raw names, extra fields and comments as Buffers; an export has one
 * entry per channel and day, and these are held for the whole import.
 */
type ZipEntry = Pick<
  yauzl.Entry,
  | 'fileName'
  | 'relativeOffsetOfLocalHeader'
  | 'compressedSize'
  | 'uncompressedSize'
  | 'crc32'
  | 'compressionMethod'
  | 'generalPurposeBitFlag'
>;

function zipEntry(entry: yauzl.Entry): ZipEntry {
  const { fileName, relativeOffsetOfLocalHeader, compressedSize, uncompressedSize, crc32, compressionMethod, generalPurposeBitFlag } =
    entry;
  return { fileName, relativeOffsetOfLocalHeader, compressedSize, uncompressedSize, crc32, compressionMethod, generalPurposeBitFlag };
}

/**
 * Reads the ZIP through one window of a few MiB, for yauzl's directory
 * records as for the entries: with yauzl's own file reader every directory
 * record was a separate read, and listing an export of 11,700 files took a
 * second of waiting. Reads are sequential, never concurrent.
 */
class ZipFileReader extends yauzl.RandomAccessReader {
  private readonly buffer = Buffer.allocUnsafe(ZIP_READ_WINDOW_BYTES);
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly options: ExportReadOptions,
  ) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead?: number) => void,
  ): void {
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

  /** An entry's content; its place and sizes were checked against the file when the directory was read. */
  async entry(entry: ZipEntry): Promise<FileContent> {
    const fail = (problem: string) => new ExportError(`${this.path}: ${entry.fileName}: ${problem} (truncated or damaged archive)`);
    if ((entry.generalPurposeBitFlag & 0x1) !== 0)
      throw new ExportError(`${this.path}: ${entry.fileName}: encrypted entries are not supported`);
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw new ExportError(`${this.path}: ${entry.fileName}: unsupported compression method ${entry.compressionMethod}`);
    }
    if (entry.uncompressedSize > this.options.maxFileBytes) throw tooLarge(this.path, entry.fileName, entry.uncompressedSize, this.options);
    const header = await this.bytes(entry.relativeOffsetOfLocalHeader, LOCAL_HEADER_BYTES);
    if (!header || header.readUInt32LE(0) !== 0x04034b50) throw fail('no local file header where the directory points');
    const dataStart = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataStart + entry.compressedSize > this.size) throw fail('ends before the entry does');
    if (entry.compressedSize <= ZIP_READ_WINDOW_BYTES && entry.uncompressedSize <= WHOLE_FILE_BYTES) {
      const data = await this.bytes(dataStart, entry.compressedSize);
      if (!data) throw fail('ends before the entry does');
      let content: Buffer;
      try {
        // One byte of room past the declared size shows an entry that inflates to more than it declares.
        content =
          entry.compressionMethod === STORED ? Buffer.from(data) : inflateRawSync(data, { maxOutputLength: entry.uncompressedSize + 1 });
      } catch (error) {
        throw (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
          ? this.inflatesPastDeclared(entry)
          : fail(`cannot be inflated: ${(error as Error).message}`);
      }
      if (content.length !== entry.uncompressedSize || crc32(content) !== entry.crc32) throw fail('size or checksum does not match');
      return content;
    }
    return this.entryChunks(entry, dataStart, fail);
  }

  private async *entryChunks(entry: ZipEntry, dataStart: number, fail: (problem: string) => ExportError): AsyncGenerator<Buffer> {
    // A large entry has compressed bytes: a stored one as many as it holds, a deflated one at least one per thousand.
    if (entry.compressedSize === 0) throw fail('size or checksum does not match');
    const compressed = this.handle.createReadStream({
      start: dataStart,
      end: dataStart + entry.compressedSize - 1,
      autoClose: false,
      highWaterMark: CHUNK_BYTES,
    });
    const content = entry.compressionMethod === STORED ? compressed : compressed.pipe(createInflateRaw({ chunkSize: CHUNK_BYTES }));
    compressed.once('error', (error) => content.destroy(error));
    let size = 0;
    let checksum = 0;
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > entry.uncompressedSize) throw this.inflatesPastDeclared(entry);
        checksum = crc32(chunk, checksum);
        yield chunk;
      }
    } catch (error) {
      throw error instanceof ExportError ? error : fail(`cannot be inflated: ${(error as Error).message}`);
    } finally {
      compressed.destroy();
      content.destroy();
    }
    if (size !== entry.uncompressedSize || checksum !== entry.crc32) throw fail('size or checksum does not match');
  }

  private inflatesPastDeclared(entry: ZipEntry): ExportError {
    return new ExportError(
      `${this.path}: ${entry.fileName}: inflates to more than the ${entry.uncompressedSize} bytes its directory entry declares (damaged archive or ZIP bomb)`,
    );
  }

  /**
   * `length` bytes at `offset`, or undefined if the file ends first. The
   * result points into a buffer reused by the next call, so callers copy
   * what they keep (inflating copies anyway).
   */
  private async bytes(offset: number, length: number): Promise<Buffer | undefined> {
    // Positions come from the archive's own, forgeable, fields: none is handed to the file system unchecked.
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.size) return undefined;
    if (length > this.buffer.length)
      throw new ExportError(`${this.path}: a ZIP record of ${length} bytes is larger than the reader's window`);
    if (offset < this.windowStart || offset + length > this.windowStart + this.window.length) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, Math.min(this.buffer.length, this.size - offset), offset);
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
