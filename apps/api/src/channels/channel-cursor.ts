import type { ChannelPosition } from '@app/metrics';
import { isSlackId } from '@app/slack';
import { decodeOpaqueCursor, encodeOpaqueCursor } from '../common/opaque-cursor';

/** A ChannelPosition (after the last channel of a page) as the client sees it: opaque. */
export function encodeCursor(cursor: ChannelPosition): string {
  return encodeOpaqueCursor([cursor.name, cursor.id]);
}

export function decodeCursor(value: string): ChannelPosition {
  // A name with NUL (which PostgreSQL text cannot hold) or an id of another shape was never stored, so never returned.
  const [name, id] = decodeOpaqueCursor(value, (values) => values.length === 2 && !values[0].includes('\u0000') && isSlackId(values[1]));
  return { name, id };
}
