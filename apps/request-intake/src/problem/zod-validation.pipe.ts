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
        detail: issue.message,
      })),
    );
  }
}

function describeRootIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.join(', ');
  }
  return 'body';
}
