/**
 * The migrations are the one description of the schema. TypeORM's schema
 * builder (what `synchronize` runs and `migration:generate` writes out)
 * compares the DataSource's entities with the live database; against a
 * migrated database it must find nothing to do, or whoever runs either gets
 * a migration of TypeORM's making that drops what the migrations built.
 */
import { createDataSource, dataSourceOptions } from '@app/db';
import { MESSAGE_COLUMNS } from '@app/ingestion';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { createTestDatabase, migratedDataSource, TestDatabase } from './support/database';

/** `messages` as an entity would declare it if it left out what only the migrations state (indexes, CHECKs, defaults). */
@Entity({ name: 'messages' })
class MessageWithoutConstraints {
  @PrimaryColumn({ name: 'channel_id', type: 'text' })
  channelId: string;

  @PrimaryColumn({ type: 'text' })
  ts: string;

  @Column({ name: 'reply_count', type: 'integer' })
  replyCount: number;
}

async function schemaBuilderStatements(dataSource: DataSource): Promise<string[]> {
  const planned = await dataSource.driver.createSchemaBuilder().log();
  return planned.upQueries.map((query) => query.query);
}

describe('one schema: the migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('schema');
    dataSource = await migratedDataSource(database);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('synchronize and migration:generate have nothing to do on a migrated database', async () => {
    expect(dataSource.options.synchronize).toBe(false);
    expect(await schemaBuilderStatements(dataSource)).toEqual([]);
  });

  it('an entity that disagrees with the migrations is caught: the schema builder would drop what they made', async () => {
    const disagreeing = createDataSource({ endpoint: { url: database.url, ssl: false }, poolMax: 1, applicationName: 'test' });
    disagreeing.setOptions({ entities: [MessageWithoutConstraints] });
    await disagreeing.initialize();
    try {
      const statements = await schemaBuilderStatements(disagreeing);
      expect(statements.join('\n')).toMatch(/DROP (INDEX|COLUMN|CONSTRAINT)/);
    } finally {
      await disagreeing.destroy();
    }
  });

  it('the messages columns the ingestion describes are those of the migrated table: names, types, NOT NULL', async () => {
    const table: Array<{ name: string; type: string; not_null: boolean }> = await dataSource.query(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
       FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    const described: Array<{ type: string }> = await dataSource.query(
      'SELECT format_type(described::regtype, NULL) AS type FROM unnest($1::text[]) WITH ORDINALITY AS d(described, position) ORDER BY position',
      [MESSAGE_COLUMNS.map((column) => column.type)],
    );
    const written = MESSAGE_COLUMNS.map((column, index) => ({ name: column.name, type: described[index].type, not_null: column.notNull }));
    // The two columns no source states: the statements set them.
    expect(table.filter((column) => !['deleted_at', 'updated_at'].includes(column.name))).toEqual(written);
    expect(table.map((column) => column.name)).toEqual(expect.arrayContaining(['deleted_at', 'updated_at']));
  });

  it('the DataSource options carry no entities and run no migration or synchronisation by themselves', () => {
    const options = dataSourceOptions({ poolMax: 1, applicationName: 'test' });
    expect(options.entities).toEqual([]);
    expect(options.synchronize).toBe(false);
    expect(options.migrationsRun).toBe(false);
  });
});
