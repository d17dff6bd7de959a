import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Caller } from '../auth/caller';
import { CurrentCaller, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { ZodBodyPipe } from '../problem/zod-body.pipe';
import {
  CancelDeletionRequestBody,
  CreateDeletionRequestBody,
  cancelDeletionRequestBodySchema,
  createDeletionRequestBodySchema,
} from './deletion-request.schemas';
import { DeletionRequestView } from './deletion-request.view';
import { DeletionRequestsService } from './deletion-requests.service';

function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return jsonSchema;
}

const problemResponse = { description: 'application/problem+json naming the field and the fix' };

@ApiTags('deletion requests')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('v1/deletion-requests')
export class DeletionRequestsController {
  constructor(@Inject(DeletionRequestsService) private readonly service: DeletionRequestsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Request a deletion',
    description:
      'A workspace deletion is accepted for an admin of the workspace. It starts a grace period (GRACE_PERIOD, 5 days by default) during which it can be cancelled; then every product area purges the workspace.',
  })
  @ApiBody({
    schema: openApiSchema(createDeletionRequestBodySchema),
    examples: { workspace: { value: { kind: 'workspace', workspace: 'acme', reason: 'Closing our account' } } },
  })
  @ApiResponse({ status: 202, description: 'Accepted: the request with status "scheduled", graceEndsAt and deadline' })
  @ApiResponse({ status: 400, ...problemResponse })
  @ApiResponse({ status: 401, ...problemResponse })
  @ApiResponse({ status: 403, description: 'The caller is not an admin of the workspace' })
  @ApiResponse({ status: 404, description: 'No workspace has that slug or id' })
  @ApiResponse({ status: 409, description: 'The workspace already has an open deletion request' })
  create(
    @CurrentCaller() caller: Caller,
    @Body(new ZodBodyPipe(createDeletionRequestBodySchema)) body: CreateDeletionRequestBody,
  ): Promise<DeletionRequestView> {
    return this.service.create(caller, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a deletion request with the progress of every product area' })
  @ApiResponse({ status: 200, description: 'The request' })
  @ApiResponse({ status: 404, description: 'No such request, or the caller may not see it' })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeletionRequestView> {
    return this.service.get(caller, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a request during its grace period (admins of the workspace and operators)' })
  @ApiBody({ required: false, schema: openApiSchema(cancelDeletionRequestBodySchema) })
  @ApiResponse({ status: 200, description: 'Cancelled; nothing is purged' })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin of the workspace nor an operator' })
  @ApiResponse({ status: 409, description: 'The grace period has ended and the purge has begun; it cannot be cancelled' })
  cancel(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Body(new ZodBodyPipe(cancelDeletionRequestBodySchema, { optional: true })) body: CancelDeletionRequestBody,
  ): Promise<DeletionRequestView> {
    return this.service.cancel(caller, id, body);
  }
}
