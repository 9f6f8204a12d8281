/**
 * The migrations are the one description of the schema. TypeORM's schema
 * builder (what `synchronize` runs and `migration:generate` writes out)
 * compares the DataSource's entities with the live database; against a
 * migrated database it must find nothing to do, or whoever runs either gets
 * a migration of TypeORM's making that drops what the migrations built.
 */
import { createDataSource, dataSourceOptions } from '@app/db';
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

  it('the DataSource options carry no entities and run no migration or synchronisation by themselves', () => {
    const options = dataSourceOptions({ poolMax: 1, applicationName: 'test' });
    expect(options.entities).toEqual([]);
    expect(options.synchronize).toBe(false);
    expect(options.migrationsRun).toBe(false);
  });
});
