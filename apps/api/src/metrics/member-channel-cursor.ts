import type { MemberChannelPosition } from '@app/metrics';
import { isSlackId } from '@app/slack';
import { decodeOpaqueCursor, encodeOpaqueCursor } from '../common/opaque-cursor';

/** A MemberChannelPosition (after the last row of a page) as the client sees it: opaque. */
export function encodeMemberChannelCursor(cursor: MemberChannelPosition): string {
  return encodeOpaqueCursor([cursor.userId, cursor.channelId]);
}

export function decodeMemberChannelCursor(value: string): MemberChannelPosition {
  const [userId, channelId] = decodeOpaqueCursor(value, (values) => values.length === 2 && values.every(isSlackId));
  return { userId, channelId };
}
