/**
 * Value types of the raw activity tables. The schema itself is the migrations
 * (libs/db/src/migrations): no entity classes restate it, so TypeORM's
 * `synchronize` and `migration:generate` have nothing to compare and can
 * produce no migration of their own (docs/design.md, "One schema").
 */

/** `channels.kind`, as its CHECK constraint allows. */
export type ChannelKind = 'public' | 'private' | 'im' | 'mpim';

/** `messages.source`: which ingestion source last wrote the row, as its CHECK constraint allows. */
export type MessageSource = 'collect' | 'events' | 'import';

/** One element of `messages.reactions`: an emoji on a message and who added it, as far as the source says. */
export interface MessageReaction {
  name: string;
  count: number;
  users: string[];
}

/** `aggregation_runs.mode`. */
export type AggregationMode = 'full' | 'incremental' | 'range';
