import { AppConfig } from '@app/config';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hash, timingSafeEqual } from 'node:crypto';

const READ_METHODS = new Set(['GET', 'HEAD']);

/** One-shot hashing: a third of what a Hash object costs, on every authenticated request. */
function digest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** True when `candidate` equals any of `known`, comparing every entry in constant time (no early exit, equal lengths). */
function matchesAny(candidate: Buffer, known: readonly Buffer[]): boolean {
  let matched = false;
  for (const entry of known) matched = timingSafeEqual(candidate, entry) || matched;
  return matched;
}

/**
 * Bearer tokens from API_TOKENS (read) and API_ADMIN_TOKENS (read and
 * write). Tokens are compared as SHA-256 digests so neither their content nor
 * their length shows in the timing. No configured token means no access.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly readDigests: Buffer[];
  private readonly adminDigests: Buffer[];

  constructor(config: AppConfig) {
    this.readDigests = config.auth.readTokens.map(digest);
    this.adminDigests = config.auth.adminTokens.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const unauthorized = (message: string) => {
      http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="slack-metrics"');
      return new UnauthorizedException(message);
    };
    const header = request.headers.authorization;
    if (!header) throw unauthorized('missing bearer token: send "Authorization: Bearer <token>"');
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) throw unauthorized('malformed Authorization header: expected "Bearer <token>"');
    const candidate = digest(match[1]);
    const isAdmin = matchesAny(candidate, this.adminDigests);
    const isReader = matchesAny(candidate, this.readDigests);
    if (!isAdmin && !isReader) throw unauthorized('unknown bearer token');
    if (!READ_METHODS.has(request.method) && !isAdmin)
      throw new ForbiddenException('this endpoint needs an admin token (API_ADMIN_TOKENS)');
    return true;
  }
}
