import { RawActivity1764480000000 } from './1764480000000-raw-activity';
import { MetricsRollups1764566400000 } from './1764566400000-metrics-rollups';

/** Every migration, oldest first. Listed explicitly so bundling keeps them. */
export const MIGRATIONS = [RawActivity1764480000000, MetricsRollups1764566400000];
