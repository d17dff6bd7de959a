import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProblemDetails, ProblemException } from './problem.exception';

const PROBLEM_TYPE_BASE = 'https://deletion-platform.dev/problems/';

/** Writes every error as `application/problem+json`; unexpected errors are logged and reported without internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception, request);

    for (const [name, value] of Object.entries(problem.headers ?? {})) {
      response.setHeader(name, value);
    }
    response
      .status(problem.status)
      .type('application/problem+json')
      .json({
        // Extension members go first, so none can overwrite a standard member such as `status`.
        ...(problem.extra ?? {}),
        type: `${PROBLEM_TYPE_BASE}${problem.code}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: request.originalUrl,
        code: problem.code,
        ...(problem.field ? { field: problem.field } : {}),
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  }

  private toProblem(exception: unknown, request: Request): ProblemDetails {
    if (exception instanceof ProblemException) {
      return exception.problem;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : exception.message;
      if (status === HttpStatus.BAD_REQUEST) {
        return { code: 'invalid-request', status, title: 'The request is invalid', detail: `${message}; send a JSON body that matches the API documentation at /docs` };
      }
      if (status === HttpStatus.NOT_FOUND) {
        return { code: 'route-not-found', status, title: 'Not found', detail: `no route ${request.method} ${request.path}; see the API documentation at /docs` };
      }
      return { code: `http-${status}`, status, title: HttpStatus[status] ?? 'Error', detail: message };
    }

    this.logger.error(`unhandled error on ${request.method} ${request.path}: ${exception instanceof Error ? exception.stack : String(exception)}`);
    return {
      code: 'internal-error',
      status: 500,
      title: 'Internal error',
      detail: 'the request failed on the server and changed nothing that was not reported; retry it, and contact the operators if it keeps failing',
    };
  }
}
