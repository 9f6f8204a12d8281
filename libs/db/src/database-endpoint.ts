import { AppConfig } from '@app/config';
import { DatabaseEndpoint } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface ResolvedDatabase {
  endpoint: DatabaseEndpoint;
  /** Stops an embedded server this process started; a no-op otherwise. */
  release(): Promise<void>;
}

/** Turns the configured database into an endpoint, starting the embedded server if none is configured. */
export async function resolveDatabase(config: AppConfig, log: (message: string) => void): Promise<ResolvedDatabase> {
  const target = config.database.target;
  switch (target.kind) {
    case 'url':
      return { endpoint: { url: target.url, ssl: target.ssl }, release: async () => undefined };
    case 'params': {
      const { kind: _kind, ...endpoint } = target;
      return { endpoint, release: async () => undefined };
    }
    case 'embedded': {
      const server = await startEmbeddedPostgres(target.directory, log);
      return { endpoint: { url: server.url, ssl: false }, release: () => server.stop() };
    }
  }
}
