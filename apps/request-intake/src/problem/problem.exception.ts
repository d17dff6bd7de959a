import { HttpException } from '@nestjs/common';

export interface ProblemDetails {
  /** A stable identifier of the kind of problem, such as `workspace-not-found`. */
  code: string;
  status: number;
  title: string;
  /** Explanation naming the failing value and the fix. */
  detail: string;
  /** The request field the problem is about, where there is one (`workspace`, `kind`, ...). */
  field?: string;
  errors?: Array<{ field: string; detail: string }>;
  extra?: Record<string, unknown>;
  /** HTTP headers that go with the problem, such as `Retry-After`. */
  headers?: Record<string, string>;
}

/** An error the API reports as `application/problem+json` (RFC 9457). */
export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail, problem.status);
  }
}

export const problems = {
  validation(errors: Array<{ field: string; detail: string }>): ProblemException {
    const first = errors[0];
    return new ProblemException({
      code: 'invalid-request',
      status: 400,
      title: 'The request is invalid',
      detail: errors.map((error) => (error.detail.startsWith(error.field) ? error.detail : `${error.field}: ${error.detail}`)).join('; '),
      field: first?.field,
      errors,
    });
  },
  unauthenticated(detail: string): ProblemException {
    return new ProblemException({ code: 'unauthenticated', status: 401, title: 'Authentication is required', detail });
  },
  forbidden(detail: string): ProblemException {
    return new ProblemException({ code: 'forbidden', status: 403, title: 'The caller may not do this', detail });
  },
  notFound(code: string, detail: string, field?: string): ProblemException {
    return new ProblemException({ code, status: 404, title: 'Not found', detail, field });
  },
  tooManyRequests(detail: string, retryAfterSeconds: number): ProblemException {
    return new ProblemException({
      code: 'too-many-attempts',
      status: 429,
      title: 'Too many attempts',
      detail,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      extra: { retryAfterSeconds },
    });
  },
  conflict(code: string, detail: string, extra?: Record<string, unknown>): ProblemException {
    return new ProblemException({ code, status: 409, title: 'Conflict with the current state', detail, extra });
  },
};
