import { RawActivity1764480000000 } from './1764480000000-raw-activity';
import { MetricsRollups1764566400000 } from './1764566400000-metrics-rollups';
import { ThreadRollupKey1764652800000 } from './1764652800000-thread-rollup-key';
import { UnusedMessageIndexes1764739200000 } from './1764739200000-unused-message-indexes';
import { RollupKeyCollation1764825600000 } from './1764825600000-rollup-key-collation';
import { RecountTeamHours1764912000000 } from './1764912000000-recount-team-hours';
import { WideReactionTotals1764998400000 } from './1764998400000-wide-reaction-totals';
import { AudienceFacts1765084800000 } from './1765084800000-audience-facts';
import { MemberFirstDays1765171200000 } from './1765171200000-member-first-days';
import { AudienceRollups1765257600000 } from './1765257600000-audience-rollups';
import { TeamKeyedRollups1765344000000 } from './1765344000000-team-keyed-rollups';
import { TeamDayRollups1765430400000 } from './1765430400000-team-day-rollups';

/** Every migration, oldest first. Listed explicitly so bundling keeps them. */
export const MIGRATIONS = [
  RawActivity1764480000000,
  MetricsRollups1764566400000,
  ThreadRollupKey1764652800000,
  UnusedMessageIndexes1764739200000,
  RollupKeyCollation1764825600000,
  RecountTeamHours1764912000000,
  WideReactionTotals1764998400000,
  AudienceFacts1765084800000,
  MemberFirstDays1765171200000,
  AudienceRollups1765257600000,
  TeamKeyedRollups1765344000000,
  TeamDayRollups1765430400000,
];
