import { RawActivity1764480000000 } from './1764480000000-raw-activity';

/** Every migration, oldest first. Listed explicitly so bundling keeps them. */
export const MIGRATIONS = [RawActivity1764480000000];
