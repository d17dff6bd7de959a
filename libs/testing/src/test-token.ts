import { createHmac } from 'node:crypto';

/** Signs an HS256 JWT the way the platform's sign-in service does, for tests and the development token script. */
export function signDevelopmentToken(secret: string, accountId: string, roles: string[] = [], ttlSeconds = 3_600): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: accountId, roles, iat: now, exp: now + ttlSeconds })}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}
