import { AppConfig, MAX_IMPORT_FILE_MIB } from '@app/config';
import { DatabaseConnector } from '@app/db';
import { Telemetry } from '@app/observability';
import { DEFAULT_IMPORT_BATCH_SIZE, ExportError, importSlackExport, ImportSummary, InvalidRecordError } from '@app/ingestion';
import { isSlackId } from '@app/slack';
import { Logger } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CommandError, refuseOption, wholeNumberOption } from '../command-errors';

interface ImportCommandOptions {
  teamId?: string;
  batchSize?: number;
  maxFileMib?: number;
}

@Command({
  name: 'import',
  arguments: '<export>',
  argsDescription: {
    export: 'a Slack workspace export: the ZIP file Slack produces, or the directory it unpacks to',
  },
  description:
    'import a Slack workspace export in one transaction (all or nothing: a bad file, a damaged ZIP or a file over --max-file-mib stops it, named, and nothing is stored); importing the same export again changes nothing',
})
export class ImportCommand extends CommandRunner {
  private readonly logger = new Logger('import');

  constructor(
    private readonly connector: DatabaseConnector,
    private readonly config: AppConfig,
    private readonly telemetry: Telemetry,
  ) {
    super();
  }

  @Option({
    flags: '--team-id <id>',
    description: 'the workspace id (T…: letters, digits, _ or -, at most 64), when users.json does not name it',
  })
  parseTeamId(value: string): string {
    if (!isSlackId(value)) refuseOption('--team-id', value, 'a Slack team id (letters, digits, _ or -, at most 64)');
    return value;
  }

  @Option({ flags: '--batch-size <messages>', description: `messages per database batch (default ${DEFAULT_IMPORT_BATCH_SIZE})` })
  parseBatchSize(value: string): number {
    return wholeNumberOption('--batch-size', value, 1, Number.MAX_SAFE_INTEGER, 'a positive whole number of messages');
  }

  @Option({
    flags: '--max-file-mib <MiB>',
    description:
      'the largest file of the export to read, uncompressed; a larger one, or a ZIP entry declaring more, stops the import (default IMPORT_MAX_FILE_MIB, 1024)',
  })
  parseMaxFileMib(value: string): number {
    return wholeNumberOption('--max-file-mib', value, 1, MAX_IMPORT_FILE_MIB, `a whole number of MiB from 1 to ${MAX_IMPORT_FILE_MIB}`);
  }

  async run([path]: string[], options: ImportCommandOptions): Promise<void> {
    const maxFileMib = options.maxFileMib ?? this.config.import.maxFileMib;
    const dataSource = await this.connector.connect();
    // A bar only for a person watching a terminal; logs and CI get the summary alone.
    const bar = process.stderr.isTTY
      ? new SingleBar({ format: 'import [{bar}] {value}/{total} day files | {messages} messages | eta {eta}s', stream: process.stderr })
      : undefined;
    const startedAt = Date.now();
    let summary: ImportSummary;
    try {
      summary = await importSlackExport(dataSource, path, {
        storeText: this.config.privacy.storeMessageText,
        teamId: options.teamId,
        batchSize: options.batchSize,
        maxFileBytes: maxFileMib * 1024 * 1024,
        onProgress: ({ filesDone, filesTotal, messagesRead }) => {
          if (filesDone === 1) bar?.start(filesTotal, 0, { messages: 0 });
          bar?.update(filesDone, { messages: messagesRead });
        },
      });
    } catch (error) {
      bar?.stop();
      // Bad input, named by the message; a value the store refuses is bad input the reading let through.
      if (!(error instanceof ExportError || error instanceof InvalidRecordError)) throw error;
      throw new CommandError(`import failed, nothing was stored: ${error.message}`);
    }
    bar?.stop();
    this.telemetry.recordMessagesStored('import', summary.messagesStored);
    const seconds = (Date.now() - startedAt) / 1000;
    process.stdout.write(formatSummary(path, summary, seconds));
  }
}

export function formatSummary(path: string, summary: ImportSummary, seconds: number): string {
  const skipped = Object.entries(summary.skipped).sort(([left], [right]) => left.localeCompare(right));
  const rate = seconds > 0 ? Math.round(summary.messagesRead / seconds) : summary.messagesRead;
  return [
    `imported ${path} into workspace ${summary.teamId} in ${seconds.toFixed(1)} s (${rate} messages/s)`,
    `  channels:           ${summary.channels}`,
    `  users:              ${summary.users}`,
    `  day files:          ${summary.dayFiles}`,
    `  messages read:      ${summary.messagesRead}`,
    `  messages stored:    ${summary.messagesStored} (new or changed)`,
    `  messages unchanged: ${summary.messagesUnchanged}`,
    `  skipped:            ${skipped.length === 0 ? 'none' : skipped.map(([reason, count]) => `${count} ${reason}`).join(', ')}`,
    '',
  ].join('\n');
}
