import { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
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
  return {
    name: root,
    files,
    read: (file) => readFile(join(root, ...file.split('/'))),
    close: async () => undefined,
  };
}

async function openZip(path: string): Promise<ExportArchive> {
  let zip: yauzl.ZipFile;
  try {
    // The central directory at the end of the file lists every entry; a truncated or foreign file has none.
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    throw new ExportError(`${path}: not a readable ZIP archive (truncated or not a ZIP at all): ${(error as Error).message}`);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    await new Promise<void>((resolveAll, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.once('end', resolveAll);
      zip.once('error', reject);
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw new ExportError(`${path}: damaged ZIP directory: ${(error as Error).message}`);
  }
  return {
    name: path,
    files: [...entries.keys()].sort(),
    read: async (file) => {
      const entry = entries.get(file);
      if (!entry) throw new ExportError(`${path}: ${file}: no such entry`);
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      } catch (error) {
        throw new ExportError(`${path}: ${file}: cannot be read (truncated or damaged archive): ${(error as Error).message}`);
      }
    },
    close: async () => zip.close(),
  };
}

/** `a/b/c.json` → `a/b`; `c.json` → ``. */
export function directoryOf(file: string): string {
  const directory = posix.dirname(file);
  return directory === '.' ? '' : directory;
}
