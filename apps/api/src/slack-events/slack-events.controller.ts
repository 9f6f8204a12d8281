import { AppConfig } from '@app/config';
import { verifySlackSignature } from '@app/slack';
import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Logger,
  Post,
  RawBodyRequest,
  Req,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { EventCallback, SlackEventHandler } from './slack-event-handler';

interface UrlVerification {
  type: 'url_verification';
  challenge: string;
}

/**
 * Slack's Events API endpoint. Every request must carry a valid signature of
 * its raw body; only then is the parsed body looked at. The event is stored
 * before answering: a few statements take milliseconds, well inside Slack's
 * 3 s, and an answer of 200 then means "stored", so a failure shows up as a
 * 500 that Slack retries instead of an event silently lost.
 */
@ApiExcludeController()
@Controller('slack')
export class SlackEventsController {
  private readonly logger = new Logger('SlackEvents');

  constructor(
    private readonly config: AppConfig,
    private readonly handler: SlackEventHandler,
  ) {}

  @Post('events')
  @HttpCode(200)
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('x-slack-request-timestamp') timestamp: string | undefined,
    @Headers('x-slack-signature') signature: string | undefined,
    @Headers('x-slack-retry-num') retryNumber: string | undefined,
  ): Promise<{ ok: true } | { challenge: string }> {
    const signingSecret = this.config.slack.signingSecret;
    if (!signingSecret) throw new ServiceUnavailableException('Slack events are not configured: SLACK_SIGNING_SECRET is not set');
    const verdict = verifySlackSignature(signingSecret, { timestamp, signature, rawBody: request.rawBody ?? '' });
    if (!request.rawBody || !verdict.valid) {
      this.logger.warn(`refused an unsigned or badly signed request (${verdict.valid ? 'no body' : verdict.reason})`);
      throw new UnauthorizedException('invalid Slack request signature');
    }

    const body = request.body as Partial<UrlVerification | EventCallback> | undefined;
    if (body?.type === 'url_verification' && typeof body.challenge === 'string') return { challenge: body.challenge };
    if (body?.type !== 'event_callback' || typeof body.event_id !== 'string' || typeof body.event?.type !== 'string') {
      throw new BadRequestException('expected a url_verification or an event_callback');
    }
    const outcome = await this.handler.handle(body as EventCallback);
    if (outcome === 'duplicate') this.logger.debug(`event ${body.event_id} already processed (retry ${retryNumber ?? 'none'})`);
    return { ok: true };
  }
}
