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
import { AuditEventView, DeletionRequestPage, DeletionRequestView } from './deletion-request.view';
import { DeletionRequestsService } from './deletion-requests.service';

function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return jsonSchema;
}

const problemResponse = { description: 'application/problem+json naming the field and the fix' };

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
    description:
      'A workspace deletion is accepted for an admin of the workspace, a purge on a ticket for an operator. Both start a grace period (GRACE_PERIOD, 5 days by default) during which they can be cancelled; then every product area purges the workspace. `workspace` takes a slug or an id.',
  })
  @ApiHeader(idempotencyHeader)
  @ApiBody({
    schema: openApiSchema(createDeletionRequestBodySchema),
    examples: {
      workspace: { value: { kind: 'workspace', workspace: 'acme', reason: 'Closing our account' } },
      purge: { value: { kind: 'purge', workspace: 'acme', ticket: 'SUP-4711' } },
    },
  })
  @ApiResponse({ status: 202, description: 'Accepted: the request with status "scheduled", graceEndsAt and deadline' })
  @ApiResponse({ status: 400, ...problemResponse })
  @ApiResponse({ status: 401, ...problemResponse })
  @ApiResponse({ status: 403, description: 'The caller is not an admin of the workspace (kind workspace) or not an operator (kind purge)' })
  @ApiResponse({ status: 404, description: 'No workspace has that slug or id' })
  @ApiResponse({ status: 409, description: 'The workspace already has an open deletion request, or the Idempotency-Key was used for another request' })
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
  @ApiQuery({ name: 'kind', required: false, enum: ['workspace', 'purge'] })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: '{ items, nextCursor }' })
  list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodValidationPipe(listDeletionRequestsQuerySchema)) query: ListDeletionRequestsQuery,
  ): Promise<DeletionRequestPage> {
    return this.service.list(caller, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a deletion request with the progress of every product area' })
  @ApiResponse({ status: 200, description: 'The request' })
  @ApiResponse({ status: 404, description: 'No such request, or the caller may not see it' })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeletionRequestView> {
    return this.service.get(caller, id);
  }

  @Get(':id/audit')
  @ApiOperation({ summary: "Show a request's append-only audit trail: who did what, when (UTC), why and on which ticket" })
  @ApiResponse({ status: 200, description: 'The audit events, oldest first' })
  @ApiResponse({ status: 404, description: 'No such request, or the caller may not see it' })
  audit(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<AuditEventView[]> {
    return this.service.audit(caller, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the failed product areas of a failed request again (operators)' })
  @ApiHeader(idempotencyHeader)
  @ApiResponse({ status: 202, description: 'The request, back in status "purging"' })
  @ApiResponse({ status: 403, description: 'The caller is not an operator' })
  @ApiResponse({ status: 409, description: 'The request has not failed' })
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
  @ApiResponse({ status: 200, description: 'Cancelled; nothing is purged' })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin of the workspace nor an operator' })
  @ApiResponse({ status: 409, description: 'The grace period has ended and the purge has begun; it cannot be cancelled' })
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
