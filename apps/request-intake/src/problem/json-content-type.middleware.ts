import type { NextFunction, Request, Response } from 'express';

/**
 * Rejects a request with a body that is not JSON with 415, before the body
 * parser silently ignores it and validation reports every field as missing.
 */
export function requireJsonBody(request: Request, response: Response, next: NextFunction): void {
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (!hasBody || request.is('application/json')) {
    next();
    return;
  }
  response
    .status(415)
    .type('application/problem+json')
    .json({
      type: 'https://deletion-platform.dev/problems/unsupported-media-type',
      title: 'Unsupported media type',
      status: 415,
      detail: `the body is sent as "${request.headers['content-type'] ?? 'no content type'}"; send JSON with the header Content-Type: application/json`,
      instance: request.originalUrl,
      code: 'unsupported-media-type',
    });
}
