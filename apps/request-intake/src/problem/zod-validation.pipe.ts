import { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { problems } from './problem.exception';

/** Validates a request body or query with a zod schema; every failing field is named in the 400 problem. */
export class ZodValidationPipe<TSchema extends z.ZodType> implements PipeTransform<unknown, z.infer<TSchema>> {
  constructor(
    private readonly schema: TSchema,
    private readonly options: { optional?: boolean } = {},
  ) {}

  transform(value: unknown): z.infer<TSchema> {
    if (this.options.optional && (value === undefined || value === null)) {
      value = {};
    }
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw problems.validation([{ field: 'body', detail: 'the body must be a JSON object; send Content-Type: application/json' }]);
    }
    const result = this.schema.safeParse(value);
    if (result.success) {
      return result.data;
    }
    throw problems.validation(
      result.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : describeRootIssue(issue),
        detail: withRejectedValue(issue, value),
      })),
    );
  }
}

/** Issue codes whose message is about the value itself, so the message repeats it. */
const VALUE_ISSUES = new Set(['invalid_value', 'invalid_union', 'invalid_type', 'invalid_format']);
/** Fields whose values never go back into an error. */
const SECRET_FIELDS = new Set(['password']);
const MAX_ECHOED_LENGTH = 80;

/** Appends the rejected value to the issue's message for a string, number or boolean, except in secret fields. */
function withRejectedValue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = issue.path[issue.path.length - 1];
  if (!VALUE_ISSUES.has(issue.code) || issue.path.length === 0 || (typeof field === 'string' && SECRET_FIELDS.has(field))) {
    return issue.message;
  }
  let rejected: unknown = input;
  for (const key of issue.path) {
    rejected = rejected !== null && typeof rejected === 'object' ? (rejected as Record<PropertyKey, unknown>)[key] : undefined;
  }
  if (typeof rejected === 'string') {
    const echoed = rejected.length > MAX_ECHOED_LENGTH ? `${rejected.slice(0, MAX_ECHOED_LENGTH)}…` : rejected;
    return `${issue.message} (got ${JSON.stringify(echoed)})`;
  }
  if (typeof rejected === 'number' || typeof rejected === 'boolean') {
    return `${issue.message} (got ${String(rejected)})`;
  }
  return issue.message;
}

function describeRootIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.join(', ');
  }
  return 'body';
}
