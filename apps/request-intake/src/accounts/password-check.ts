import { compare } from 'bcryptjs';
import { DataSource } from 'typeorm';
import { problems } from '../problem/problem.exception';

export interface PasswordPolicy {
  maxFailures: number;
  windowMs: number;
}

/**
 * Checks a re-entered password against the account's bcrypt hash, with a
 * limit on wrong attempts: after `maxFailures` within `windowMs` every
 * attempt is rejected with 429 and Retry-After until the oldest failure leaves
 * the window. Failures are recorded outside the request's transaction, so a
 * rejected request still counts.
 */
export async function checkPassword(
  dataSource: DataSource,
  policy: PasswordPolicy,
  account: { id: string; passwordHash: string },
  password: string,
): Promise<void> {
  const windowSeconds = policy.windowMs / 1_000;
  const [recent]: Array<{ failures: number; oldest: Date | null }> = await dataSource.query(
    `SELECT count(*)::int AS failures, min(failed_at) AS oldest FROM intake.password_failures
      WHERE account_id = $1 AND failed_at > now() - make_interval(secs => $2)`,
    [account.id, windowSeconds],
  );
  if (recent.failures >= policy.maxFailures && recent.oldest) {
    const retryAfter = Math.max(1, Math.ceil((recent.oldest.getTime() + policy.windowMs - Date.now()) / 1_000));
    throw problems.tooManyRequests(
      `too many wrong passwords for this account; try again in ${retryAfter} seconds`,
      retryAfter,
    );
  }

  if (!(await compare(password, account.passwordHash))) {
    await dataSource.query('INSERT INTO intake.password_failures (account_id) VALUES ($1)', [account.id]);
    throw problems.unauthenticated('the password is wrong; re-enter the password of the account that is signed in');
  }
  await dataSource.query('DELETE FROM intake.password_failures WHERE account_id = $1', [account.id]);
}
