import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { LivenessMonitor } from './liveness.monitor';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), LifecycleModule],
  controllers: [HealthController],
  providers: [LivenessMonitor],
})
export class HealthModule {}
