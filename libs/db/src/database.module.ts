import { AppConfig } from '@app/config';
import { DynamicModule, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { dataSourceOptions, endpointOptions } from './data-source';
import { ResolvedDatabase, resolveDatabase } from './database-endpoint';

const CONNECT_ATTEMPTS = 15;
const CONNECT_RETRY_MS = 2000;

/**
 * Connects the process's one DataSource on demand. The connection is not made
 * at module start so that `worker --help` needs no database, and so the
 * embedded server is only started by a process that uses it.
 */
@Injectable()
export class DatabaseConnector implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private connecting?: Promise<DataSource>;
  private resolved?: ResolvedDatabase;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  connect(): Promise<DataSource> {
    this.connecting ??= this.connectWithRetries();
    return this.connecting;
  }

  private async connectWithRetries(): Promise<DataSource> {
    this.resolved = await resolveDatabase(this.config, (message) => this.logger.log(message));
    this.dataSource.setOptions(endpointOptions(this.resolved.endpoint));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.initialize();
      } catch (error) {
        // A database that is still starting (a fresh pod, a restarting server) is waited for.
        if (attempt >= CONNECT_ATTEMPTS) throw error;
        this.logger.warn(`database not reachable (attempt ${attempt}/${CONNECT_ATTEMPTS}): ${(error as Error).message}`);
        await sleep(CONNECT_RETRY_MS);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.resolved?.release();
  }
}

@Module({})
export class DatabaseModule {
  /** The DataSource (unconnected until `DatabaseConnector.connect()`), named for `pg_stat_activity`. */
  static forRoot(applicationName: string, options: { slowQueryMs?: number } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions({ poolMax: config.database.poolMax, applicationName, slowQueryMs: options.slowQueryMs }),
            manualInitialization: true,
          }),
        }),
      ],
      providers: [DatabaseConnector],
      exports: [TypeOrmModule, DatabaseConnector],
    };
  }
}
