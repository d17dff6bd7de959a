import { AREA_STATUSES, DELETION_KINDS, REQUEST_STATUSES } from '@deletion/contracts';

/** OpenAPI schemas of the success bodies, one per view in deletion-request.view.ts. */

const nullableString = (description?: string) => ({ type: 'string', nullable: true, ...(description ? { description } : {}) });
const dateTime = (description: string, nullable = false) => ({ type: 'string', format: 'date-time', nullable, description });
const counts = { type: 'object', additionalProperties: { type: 'integer' }, description: 'what the area removed, by unit (rows, objects, events, ...)' };

export const AREA_PROGRESS_SCHEMA = {
  type: 'object',
  required: ['area', 'status', 'counts', 'attempts', 'error', 'nextAttemptAt'],
  properties: {
    area: { type: 'string', example: 'profiles' },
    status: { type: 'string', enum: [...AREA_STATUSES] },
    counts,
    attempts: { type: 'integer' },
    error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
      description: 'the last failure, while the area retries or after it failed',
    },
    nextAttemptAt: dateTime('when a retrying area tries again', true),
  },
};

export const DELETION_REQUEST_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'status', 'workspaceId', 'createdAt', 'deadline', 'cancellable', 'areas'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: [...DELETION_KINDS] },
    status: { type: 'string', enum: [...REQUEST_STATUSES] },
    workspaceId: { type: 'string', format: 'uuid' },
    workspace: nullableString('the workspace slug'),
    requestedBy: { type: 'string', description: 'the account id of the requester' },
    reason: nullableString(),
    ticket: nullableString(),
    createdAt: dateTime('when the request was accepted'),
    graceEndsAt: dateTime('end of the grace period, for kinds that have one', true),
    deadline: dateTime('when the deletion must be complete'),
    cancellable: { type: 'boolean', description: 'true while the request is in its grace period' },
    cancelledAt: dateTime('when it was cancelled', true),
    cancelledBy: nullableString('the account id that cancelled it'),
    completedAt: dateTime('when every area in scope had a final result', true),
    areas: { type: 'array', items: AREA_PROGRESS_SCHEMA, description: 'the progress of every product area, once the purge has started' },
    receipt: {
      type: 'array',
      nullable: true,
      description: 'what each area removed, once the request is completed or failed',
      items: {
        type: 'object',
        properties: { area: { type: 'string' }, status: { type: 'string' }, counts, error: nullableString() },
      },
    },
  },
};

export const DELETION_REQUEST_PAGE_SCHEMA = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: DELETION_REQUEST_SCHEMA },
    nextCursor: nullableString('pass as cursor to get the next page; null on the last page'),
  },
};

export const AUDIT_EVENTS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['occurredAt', 'actor', 'action', 'details'],
    properties: {
      occurredAt: dateTime('when it happened (UTC)'),
      actor: { type: 'string', description: 'the account id of the person who acted, or system:<service> for the platform' },
      action: { type: 'string', example: 'requested' },
      reason: nullableString(),
      ticket: nullableString(),
      details: { type: 'object' },
    },
  },
};

export const ACCOUNT_DELETION_SCHEMA = {
  type: 'object',
  required: ['kind', 'accountId', 'status', 'requests', 'removedMemberships'],
  properties: {
    kind: { type: 'string', enum: ['account'] },
    accountId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['pending', 'completed'], description: 'pending until every workspace request has completed' },
    requests: { type: 'array', items: DELETION_REQUEST_SCHEMA, description: 'one workspace deletion per workspace the account administers' },
    removedMemberships: { type: 'integer', description: 'how many workspaces the account was only a member of; it was removed from them at once' },
  },
};

/** Builds a documented success response with a JSON body. */
export function jsonResponse(status: number, description: string, schema: Record<string, unknown>) {
  return { status, description, content: { 'application/json': { schema } } };
}
