export * from './data-source';
export * from './database-endpoint';
export * from './database-errors';
export * from './database.module';
export * from './embedded-postgres';
export * from './entities';
export * from './migrations';
export * from './migrator';
