import { CanActivate, ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { z } from 'zod';
import { problems } from '../problem/problem.exception';
import { Caller } from './caller';
import { VerifiedTokens } from './verified-tokens';

const tokenClaimsSchema = z.object({
  sub: z.uuid(),
  roles: z.array(z.string()).optional(),
  exp: z.number().optional(),
});

/**
 * Authenticates a request by its bearer JWT, signed by the platform with
 * HS256. `sub` is the account id; `roles` containing `operator` marks support staff.
 * A token verified once is remembered until it expires, for a minute at most.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly verified = new VerifiedTokens();

  constructor(@Inject(JwtService) private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      throw problems.unauthenticated('the Authorization header is missing; send "Authorization: Bearer <token>" (get a development token with npm run token -- EMAIL)');
    }

    const token = header.slice('Bearer '.length).trim();
    const known = this.verified.find(token);
    if (known) {
      request.caller = known;
      return true;
    }

    let claims: unknown;
    try {
      claims = await this.jwt.verifyAsync(token, { algorithms: ['HS256'] });
    } catch (error) {
      throw problems.unauthenticated(`the bearer token is invalid (${(error as Error).message}); request a new token`);
    }
    const parsed = tokenClaimsSchema.safeParse(claims);
    if (!parsed.success) {
      throw problems.unauthenticated('the bearer token has no valid "sub" account id; request a new token');
    }

    const caller: Caller = { accountId: parsed.data.sub, isOperator: parsed.data.roles?.includes('operator') ?? false };
    this.verified.remember(token, caller, parsed.data.exp);
    request.caller = caller;
    return true;
  }
}

export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
  if (!request.caller) {
    throw problems.unauthenticated('the request was not authenticated');
  }
  return request.caller;
});
