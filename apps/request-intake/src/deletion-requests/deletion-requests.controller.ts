import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { AccountDeletionService, AccountDeletionView } from '../accounts/account-deletion.service';
import { Caller } from '../auth/caller';
import { CurrentCaller, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { IdempotentResult, parseIdempotencyKey } from '../idempotency/idempotency.store';
import { ZodValidationPipe } from '../problem/zod-validation.pipe';
import {
  CancelDeletionRequestBody,
  CreateDeletionRequestBody,
  ListDeletionRequestsQuery,
  cancelDeletionRequestBodySchema,
  createDeletionRequestBodySchema,
  listDeletionRequestsQuerySchema,
} from './deletion-request.schemas';
import {
  ACCOUNT_DELETION_SCHEMA,
  AUDIT_EVENTS_SCHEMA,
  DELETION_REQUEST_PAGE_SCHEMA,
  DELETION_REQUEST_SCHEMA,
  jsonResponse,
} from './deletion-request.openapi';
import { AuditEventView, DeletionRequestPage, DeletionRequestView } from './deletion-request.view';
import { DeletionRequestsService } from './deletion-requests.service';

function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }) as Record<string, unknown>;
  return jsonSchema;
}

/** Schema of every error body: RFC 9457 problem details with this API's extension members. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'https://deletion-platform.dev/problems/workspace-not-found' },
    title: { type: 'string' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', description: 'what is wrong with which value, and what to do' },
    instance: { type: 'string' },
    code: { type: 'string', example: 'workspace-not-found' },
    field: { type: 'string', description: 'the request field the problem is about' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, detail: { type: 'string' } } } },
  },
};

/** Builds a documented error response: application/problem+json with a description of when it happens. */
export function problemResponse(status: number, description: string) {
  return { status, description, content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } } };
}

const idempotencyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes a retried POST safe: the same key and body return the first response (with the header Idempotent-Replayed: true); the same key with another body is a 409.',
};

function unwrap<T>(result: IdempotentResult<T>, response: Response): T {
  if (result.replayed) {
    response.setHeader('Idempotent-Replayed', 'true');
  }
  return result.value;
}

@ApiTags('deletion requests')
@ApiBearerAuth()
@ApiResponse(problemResponse(401, 'No bearer token, or an invalid or expired one'))
@UseGuards(JwtAuthGuard)
@Controller('v1/deletion-requests')
export class DeletionRequestsController {
  constructor(
    @Inject(DeletionRequestsService) private readonly service: DeletionRequestsService,
    @Inject(AccountDeletionService) private readonly accounts: AccountDeletionService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Request a deletion',
    description: [
      'One body per kind; `workspace` takes a slug or an id everywhere, and unknown fields are rejected.',
      '- `workspace`: an admin of the workspace deletes it. A grace period (GRACE_PERIOD, 5 days by default) follows, during which it can be cancelled; then every product area purges the workspace.',
      '- `purge`: an operator purges a workspace on a ticket, with the same grace period.',
      '- `user`: an admin deletes or suppresses up to 5,000 end users (`userId` or `anonymousId`) in the workspace. `delete` and `suppress_with_delete` purge their data in every area at once; `suppress` and `unsuppress` only change the suppression list and complete at once.',
      '- `source`: an operator deletes a source\'s archive for whole UTC days, `from` to `to` inclusive. Only the archive takes part.',
      '- `legacy_archive_purge`: an operator purges the archive of a workspace deleted before 2022-03-31.',
      '- `account`: the signed-in account deletes itself after re-entering its password: one workspace request per administered workspace, removal from the others, then its record.',
    ].join('\n'),
  })
  @ApiHeader(idempotencyHeader)
  @ApiBody({
    schema: openApiSchema(createDeletionRequestBodySchema),
    examples: {
      workspace: { summary: 'Delete a workspace', value: { kind: 'workspace', workspace: 'acme', reason: 'Closing our account' } },
      purge: { summary: 'Purge a workspace on a ticket (operator)', value: { kind: 'purge', workspace: 'acme', ticket: 'SUP-4711' } },
      user: {
        summary: 'Delete and suppress end users',
        value: { kind: 'user', workspace: 'acme', regulation: 'suppress_with_delete', subjectType: 'userId', subjects: ['user-3', 'user-7'] },
      },
      source: {
        summary: "Delete a source's data for whole UTC days (operator)",
        value: { kind: 'source', workspace: 'acme', source: 'web', from: '2024-03-10', to: '2024-03-12', ticket: 'SUP-4712' },
      },
      legacy: { summary: 'Purge the archive of a workspace deleted before 2022-03-31 (operator)', value: { kind: 'legacy_archive_purge', workspace: 'oldco', ticket: 'SUP-4713' } },
      account: { summary: 'Delete the signed-in account', value: { kind: 'account', password: 'the account password' } },
    },
  })
  @ApiResponse(
    jsonResponse(202, 'Accepted: the request (for kind account, the account deletion with one request per administered workspace)', {
      oneOf: [DELETION_REQUEST_SCHEMA, ACCOUNT_DELETION_SCHEMA],
    }),
  )
  @ApiResponse(problemResponse(400, 'The body is invalid: a missing, unknown or malformed field, a time of day in a source range, an empty or oversized subject list'))
  @ApiResponse(problemResponse(401, 'No valid bearer token, or a wrong password for kind account'))
  @ApiResponse(problemResponse(403, 'The caller lacks the role the kind requires (workspace admin, or operator)'))
  @ApiResponse(problemResponse(404, 'No workspace or source has that slug or id'))
  @ApiResponse(problemResponse(409, 'The workspace already has an open deletion, the Idempotency-Key was used for another request, or a legacy purge names a workspace that is not a legacy deletion'))
  @ApiResponse(problemResponse(429, 'Too many wrong passwords for kind account; the Retry-After header says when to try again'))
  async create(
    @CurrentCaller() caller: Caller,
    @Body(new ZodValidationPipe(createDeletionRequestBodySchema)) body: CreateDeletionRequestBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeletionRequestView | AccountDeletionView> {
    const key = parseIdempotencyKey(idempotencyKey);
    if (body.kind === 'account') {
      return unwrap(await this.accounts.create(caller, body, key), response);
    }
    return unwrap(await this.service.create(caller, body, key), response);
  }

  @Get()
  @ApiOperation({ summary: 'List the requests the caller may see, newest first; operators see all' })
  @ApiQuery({ name: 'workspace', required: false, description: 'workspace slug or id' })
  @ApiQuery({ name: 'status', required: false, enum: ['scheduled', 'due', 'purging', 'completed', 'failed', 'cancelled'] })
  @ApiQuery({ name: 'kind', required: false, enum: ['workspace', 'purge', 'user', 'source', 'legacy_archive_purge', 'account'] })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse(jsonResponse(200, 'One page of requests', DELETION_REQUEST_PAGE_SCHEMA))
  @ApiResponse(problemResponse(400, 'An invalid filter, limit or cursor'))
  list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodValidationPipe(listDeletionRequestsQuerySchema)) query: ListDeletionRequestsQuery,
  ): Promise<DeletionRequestPage> {
    return this.service.list(caller, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a deletion request with the progress of every product area' })
  @ApiResponse(jsonResponse(200, 'The request', DELETION_REQUEST_SCHEMA))
  @ApiResponse(problemResponse(400, 'The id is not a UUID'))
  @ApiResponse(problemResponse(404, 'No such request, or the caller may not see it'))
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeletionRequestView> {
    return this.service.get(caller, id);
  }

  @Get(':id/audit')
  @ApiOperation({ summary: "Show a request's append-only audit trail: who did what, when (UTC), why and on which ticket" })
  @ApiResponse(jsonResponse(200, 'The audit events, oldest first', AUDIT_EVENTS_SCHEMA))
  @ApiResponse(problemResponse(400, 'The id is not a UUID'))
  @ApiResponse(problemResponse(404, 'No such request, or the caller may not see it'))
  audit(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<AuditEventView[]> {
    return this.service.audit(caller, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the failed product areas of a failed request again (operators)' })
  @ApiHeader(idempotencyHeader)
  @ApiResponse(jsonResponse(202, 'The request, back in status "purging"', DELETION_REQUEST_SCHEMA))
  @ApiResponse(problemResponse(400, 'The id is not a UUID, or the Idempotency-Key is malformed'))
  @ApiResponse(problemResponse(403, 'The caller is not an operator'))
  @ApiResponse(problemResponse(404, 'No such request'))
  @ApiResponse(problemResponse(409, 'The request has not failed, or the Idempotency-Key was used for another request'))
  async retry(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeletionRequestView> {
    return unwrap(await this.service.retry(caller, id, parseIdempotencyKey(idempotencyKey)), response);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a request during its grace period (admins of the workspace and operators)' })
  @ApiHeader(idempotencyHeader)
  @ApiBody({ required: false, schema: openApiSchema(cancelDeletionRequestBodySchema) })
  @ApiResponse(jsonResponse(200, 'Cancelled; nothing is purged', DELETION_REQUEST_SCHEMA))
  @ApiResponse(problemResponse(400, 'The id is not a UUID, the body is invalid, or the Idempotency-Key is malformed'))
  @ApiResponse(problemResponse(403, 'The caller is neither an admin of the workspace nor an operator'))
  @ApiResponse(problemResponse(404, 'No such request, or the caller may not see it'))
  @ApiResponse(problemResponse(409, 'The grace period has ended and the purge has begun; it cannot be cancelled'))
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(cancelDeletionRequestBodySchema, { optional: true })) body: CancelDeletionRequestBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeletionRequestView> {
    return unwrap(await this.service.cancel(caller, id, body, parseIdempotencyKey(idempotencyKey)), response);
  }
}
