import type { MessageSource } from '@app/db';
import type { MessageRecord } from '../records';
import { messageCopyLine } from './message-columns';

/** COPY data is written into buffers of this size; one stream write per row would cost more than the row. */
const CHUNK_BYTES = 1024 * 1024;
/** Released buffers kept for the next batches: two batches' worth at the default import batch size. */
const POOLED_CHUNKS_MAX = 8;
const pooledChunks: Buffer[] = [];
/** Encoded lines gathered as a string before being copied into a buffer (short-lived, so it stays in the young heap). */
const PENDING_CHARS = 64 * 1024;

/**
 * COPY lines encoded into reused off-heap buffers. A batch waits seconds to
 * fill, long enough for strings on the JavaScript heap to be promoted to the
 * old generation, which is collected rarely; bytes in buffers never are, and
 * the buffers come back through the pool once their COPY is done.
 */
class CopyChunks {
  /** Every buffer this batch took, whole; the last one is being filled. */
  private readonly buffers: Buffer[] = [];
  /** Bytes used in each buffer. */
  private readonly used: number[] = [];
  /** Lines not yet copied into a buffer: one buffer write per few hundred rows, not one per row. */
  private pending = '';
  rows = 0;

  add(line: string): void {
    this.pending += line;
    this.rows++;
    if (this.pending.length >= PENDING_CHARS) this.writePending();
  }

  /** The COPY data written so far. */
  all(): Buffer[] {
    this.writePending();
    return this.buffers.map((buffer, index) => buffer.subarray(0, this.used[index]));
  }

  /** Hands the buffers back for reuse; nothing read from `all()` may be used afterwards. */
  release(): void {
    for (const buffer of this.buffers)
      if (buffer.length === CHUNK_BYTES && pooledChunks.length < POOLED_CHUNKS_MAX) pooledChunks.push(buffer);
    this.buffers.length = 0;
    this.used.length = 0;
    this.pending = '';
  }

  private writePending(): void {
    if (this.pending === '') return;
    const length = Buffer.byteLength(this.pending);
    const last = this.buffers.length - 1;
    if (last < 0 || this.used[last] + length > this.buffers[last].length) {
      this.buffers.push(length > CHUNK_BYTES ? Buffer.allocUnsafe(length) : (pooledChunks.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)));
      this.used.push(0);
    }
    const current = this.buffers.length - 1;
    this.used[current] += this.buffers[current].write(this.pending, this.used[current]);
    this.pending = '';
  }
}

/**
 * Messages on their way to the store, encoded as COPY text the moment they
 * are added: a batch in memory is a few large strings, not thousands of
 * objects, which keeps an import's heap small. Tombstones are kept apart
 * because only the merge marks them deleted.
 */
export class MessageBatch {
  readonly snapshots = new CopyChunks();
  readonly tombstones = new CopyChunks();

  constructor(readonly source: MessageSource) {}

  static of(records: Iterable<MessageRecord>, source: MessageSource): MessageBatch {
    const batch = new MessageBatch(source);
    for (const record of records) batch.add(record);
    return batch;
  }

  get size(): number {
    return this.snapshots.rows + this.tombstones.rows;
  }

  /** Gives the batch's memory back once it has been written; the batch is empty afterwards. */
  release(): void {
    this.snapshots.release();
    this.tombstones.release();
  }

  add(record: MessageRecord): void {
    (record.subtype === 'tombstone' ? this.tombstones : this.snapshots).add(messageCopyLine(record, this.source));
  }
}
