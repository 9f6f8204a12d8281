import { Module } from '@nestjs/common';
import { MigrateCommand } from './migrate.command';

@Module({ providers: [MigrateCommand] })
export class MigrateModule {}
