import { createDeletionRequestBodySchema, listDeletionRequestsQuerySchema } from '../deletion-requests/deletion-request.schemas';
import { ProblemException } from './problem.exception';
import { ZodValidationPipe } from './zod-validation.pipe';

/** Runs the pipe and returns the problem's per-field errors; fails the test when the input passes. */
function errorsFor(pipe: ZodValidationPipe<never>, input: unknown): Array<{ field: string; detail: string }> {
  try {
    pipe.transform(input);
  } catch (error) {
    if (error instanceof ProblemException) {
      return error.problem.errors ?? [];
    }
    throw error;
  }
  throw new Error('expected a validation problem, but the input was accepted');
}

describe('ZodValidationPipe', () => {
  const bodyPipe = new ZodValidationPipe(createDeletionRequestBodySchema) as unknown as ZodValidationPipe<never>;
  const queryPipe = new ZodValidationPipe(listDeletionRequestsQuerySchema) as unknown as ZodValidationPipe<never>;

  it('repeats a rejected enum value', () => {
    const [error] = errorsFor(bodyPipe, { kind: 'user', workspace: 'acme', regulation: 'erase', subjectType: 'userId', subjects: ['user-1'] });

    expect(error.field).toBe('regulation');
    expect(error.detail).toContain('(got "erase")');
  });

  it('repeats an unsupported kind', () => {
    const [error] = errorsFor(bodyPipe, { kind: 'users', workspace: 'acme' });

    expect(error.field).toBe('kind');
    expect(error.detail).toContain('kind is missing or not supported');
    expect(error.detail).toContain('(got "users")');
  });

  it('repeats a rejected query value', () => {
    const [error] = errorsFor(queryPipe, { status: 'done' });

    expect(error.field).toBe('status');
    expect(error.detail).toContain('(got "done")');
  });

  it('shortens a long rejected value', () => {
    const [error] = errorsFor(queryPipe, { status: 'x'.repeat(500) });

    expect(error.detail).toContain(`(got "${'x'.repeat(80)}…")`);
    expect(error.detail).not.toContain('x'.repeat(81));
  });

  it('never repeats a password', () => {
    const errors = errorsFor(bodyPipe, { kind: 'account', password: 12345 });
    const password = errors.find((error) => error.field === 'password');

    expect(password).toBeDefined();
    expect(password?.detail).not.toContain('12345');
  });

  it('adds nothing for a missing value', () => {
    const [error] = errorsFor(bodyPipe, { workspace: 'acme' });

    expect(error.detail).not.toContain('(got');
  });
});
