import { AppConfig } from '@app/config';
import { EventCallback, SlackEventApplier } from '@app/ingestion';
import { verifySlackSignature } from '@app/slack';
import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  HttpException,
  HttpStatus,
  Logger,
  Post,
  RawBodyRequest,
  Req,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

interface UrlVerification {
  type: 'url_verification';
  challenge: string;
}

type RefusalLimiter = ReturnType<FastifyRequest['server']['createRateLimit']>;

/**
 * Slack's Events API endpoint. Every request must carry a valid signature of
 * its raw body; only then is the parsed body looked at. The event is stored
 * before answering: a few statements take milliseconds, well inside Slack's
 * 3 s, and an answer of 200 then means "stored" (or, for values no retry can
 * make storable, skipped and counted), so a failure shows up as a 500 that
 * Slack retries instead of an event silently lost.
 *
 * Signed requests are outside the per-address rate limit: other traffic from
 * the same address (a NAT, a LoadBalancer's node) must not make Slack's
 * deliveries fail, nor may a burst of them. Requests refused for their
 * signature have a per-address budget of their own, of the same size, past
 * which they are answered 429.
 */
@ApiExcludeController()
@Controller('slack')
export class SlackEventsController {
  private readonly logger = new Logger('SlackEvents');
  private refusals?: RefusalLimiter;

  constructor(
    private readonly config: AppConfig,
    private readonly applier: SlackEventApplier,
  ) {}

  @Post('events')
  @HttpCode(200)
  @RouteConfig({ rateLimit: false })
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('x-slack-request-timestamp') timestamp: string | undefined,
    @Headers('x-slack-signature') signature: string | undefined,
    @Headers('x-slack-retry-num') retryNumber: string | undefined,
  ): Promise<{ ok: true } | { challenge: string }> {
    const signingSecret = this.config.slack.signingSecret;
    if (!signingSecret) throw new ServiceUnavailableException('Slack events are not configured: SLACK_SIGNING_SECRET is not set');
    const verdict = verifySlackSignature(signingSecret, { timestamp, signature, rawBody: request.rawBody ?? '' });
    if (!request.rawBody || !verdict.valid) {
      const refusals = await this.countRefusal(request);
      if (refusals?.isAllowed === false && refusals.isExceeded) {
        reply.header('retry-after', String(refusals.ttlInSeconds));
        throw new HttpException(
          {
            statusCode: HttpStatus.TOO_MANY_REQUESTS,
            error: 'Too Many Requests',
            message: `more than ${refusals.max} unsigned or badly signed requests per minute from this address; retry in ${refusals.ttlInSeconds} s`,
          },
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }
      this.logger.warn(`refused an unsigned or badly signed request (${verdict.valid ? 'no body' : verdict.reason})`);
      throw new UnauthorizedException('invalid Slack request signature');
    }

    const body = request.body as Partial<UrlVerification | EventCallback> | undefined;
    if (body?.type === 'url_verification' && typeof body.challenge === 'string') return { challenge: body.challenge };
    if (body?.type !== 'event_callback' || typeof body.event_id !== 'string' || typeof body.event?.type !== 'string') {
      throw new BadRequestException('expected a url_verification or an event_callback');
    }
    const outcome = await this.applier.apply(body as EventCallback);
    if (outcome === 'duplicate') this.logger.debug(`event ${body.event_id} already processed (retry ${retryNumber ?? 'none'})`);
    return { ok: true };
  }

  /** Counts a refused request against its address's budget; undefined while rate limiting is off (RATE_LIMIT_PER_MINUTE=0). */
  private async countRefusal(request: FastifyRequest): Promise<Awaited<ReturnType<RefusalLimiter>> | undefined> {
    if (typeof request.server.createRateLimit !== 'function') return undefined;
    // Its own store, and no exemptions: the general limiter's list would exempt nothing here anyway.
    this.refusals ??= request.server.createRateLimit({ allowList: [] });
    return this.refusals(request);
  }
}
