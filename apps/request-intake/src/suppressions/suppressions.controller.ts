import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Caller } from '../auth/caller';
import { CurrentCaller, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { problemResponse } from '../deletion-requests/deletion-requests.controller';
import { SuppressionView, SuppressionsService, parseSuppressionLimit } from './suppressions.service';

@ApiTags('suppressions')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('v1/workspaces/:workspace/suppressions')
export class SuppressionsController {
  constructor(@Inject(SuppressionsService) private readonly suppressions: SuppressionsService) {}

  @Get()
  @ApiOperation({ summary: "List a workspace's suppressed end users (admins of the workspace and operators)" })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: '{ items, nextCursor }' })
  @ApiResponse(problemResponse(400, 'The limit is not a whole number from 1 to 1000'))
  @ApiResponse(problemResponse(401, 'No bearer token, or an invalid or expired one'))
  @ApiResponse(problemResponse(403, 'The caller is neither an admin of the workspace nor an operator'))
  @ApiResponse(problemResponse(404, 'No workspace has that slug or id'))
  list(
    @CurrentCaller() caller: Caller,
    @Param('workspace') workspace: string,
    @Query('limit') limit: string | undefined,
    @Query('cursor') cursor: string | undefined,
  ): Promise<{ items: SuppressionView[]; nextCursor: string | null }> {
    return this.suppressions.list(caller, workspace, { limit: parseSuppressionLimit(limit), after: cursor });
  }
}
