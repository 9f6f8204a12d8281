import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidatorConstraint,
  ValidationArguments,
  ValidatorConstraintInterface,
  getMetadataStorage,
} from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,}$/;

/** The highest per-file limit an import accepts: 1 TiB, where MiB still count exactly in bytes. */
export const MAX_IMPORT_FILE_MIB = 1024 * 1024;

@ValidatorConstraint({ name: 'ianaTimeZone' })
class IanaTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value === '') return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'METRICS_TIMEZONE must be an IANA time zone name such as UTC or Asia/Tokyo';
  }
}

@ValidatorConstraint({ name: 'postgresUrl' })
class PostgresUrl implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'DATABASE_URL must be a postgres:// or postgresql:// URL with a host';
  }
}

@ValidatorConstraint({ name: 'tokenList' })
class TokenList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((token) => typeof token === 'string' && TOKEN_PATTERN.test(token));
  }
  defaultMessage(args?: ValidationArguments): string {
    return `${args?.property} must be a comma-separated list of tokens, each at least 16 characters of [A-Za-z0-9._~+/=-]`;
  }
}

@ValidatorConstraint({ name: 'httpUrl' })
class HttpUrl implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }
  defaultMessage(args?: ValidationArguments): string {
    return `${args?.property} must be an http(s) URL`;
  }
}

const splitList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : value;

const parseBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no', ''].includes(normalised)) return false;
  return value;
};

/**
 * Every environment variable the processes read, one property each. The
 * names are the variable names so that a validation error names the variable.
 */
export class EnvironmentVariables {
  @IsOptional()
  @Validate(PostgresUrl)
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DB_HOST?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  DB_PORT: number = 5432;

  @IsOptional()
  @IsString()
  DB_USER?: string;

  @IsOptional()
  @IsString()
  DB_PASSWORD?: string;

  @IsOptional()
  @IsString()
  DB_NAME?: string;

  @Transform(parseBoolean)
  @IsBoolean()
  DB_SSL: boolean = false;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_MAX: number = 10;

  @IsString()
  @MinLength(1)
  EMBEDDED_PG_DIR: string = '.data';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 8080;

  @IsString()
  @MinLength(1)
  HOST: string = '0.0.0.0';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600)
  SHUTDOWN_DRAIN_SECONDS: number = 5;

  /**
   * Which peers may set X-Forwarded-For: `false`, `true` (any; only behind a
   * proxy that overwrites it), or comma-separated addresses, CIDRs and the
   * names `loopback`, `linklocal`, `uniquelocal`. The default trusts private
   * addresses, where an in-cluster ingress controller lives.
   */
  @IsString()
  @Matches(/^(true|false|[0-9A-Za-z.:/,\s]+)$/, {
    message: 'TRUST_PROXY must be true, false or a list of addresses, CIDRs, loopback, linklocal, uniquelocal',
  })
  TRUST_PROXY: string = 'loopback,linklocal,uniquelocal';

  /** Requests per minute per client address; 0 turns rate limiting off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE: number = 600;

  @Transform(splitList)
  @Validate(TokenList)
  API_TOKENS: string[] = [];

  @Transform(splitList)
  @Validate(TokenList)
  API_ADMIN_TOKENS: string[] = [];

  @IsOptional()
  @Matches(/^xox[a-z]-[A-Za-z0-9-]+$/, { message: 'SLACK_BOT_TOKEN must look like a Slack token (xoxb-…)' })
  SLACK_BOT_TOKEN?: string;

  @IsOptional()
  @IsString()
  @MinLength(8)
  SLACK_SIGNING_SECRET?: string;

  @Validate(HttpUrl)
  SLACK_API_URL: string = 'https://slack.com/api/';

  @Validate(IanaTimeZone)
  METRICS_TIMEZONE: string = 'UTC';

  /**
   * Workspaces whose dashboard opening view the API computes into its cache after each
   * aggregation run (one query at a time); 0 leaves the first reader to compute them.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  CACHE_WARM_WORKSPACES: number = 10;

  @Transform(parseBoolean)
  @IsBoolean()
  STORE_MESSAGE_TEXT: boolean = false;

  /**
   * The largest file of a Slack export `worker import` reads, uncompressed, in
   * MiB: a day file is KiB to a few MiB, so the default only stops ZIP bombs
   * and forged sizes. `--max-file-mib` overrides it for one import.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_IMPORT_FILE_MIB)
  IMPORT_MAX_FILE_MIB: number = 1024;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'COLLECT_CRON must be a cron expression of 5 or 6 fields' })
  COLLECT_CRON: string = '*/15 * * * *';

  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'AGGREGATE_CRON must be a cron expression of 5 or 6 fields' })
  AGGREGATE_CRON: string = '*/5 * * * *';
}

/** Names of every variable the configuration reads, from the validation metadata. */
export function environmentVariableNames(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(EnvironmentVariables, '', true, false);
  return [...new Set(metadata.map((entry) => entry.propertyName))].sort();
}
