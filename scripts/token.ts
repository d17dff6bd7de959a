import 'reflect-metadata';
import { Client } from 'pg';
import { signDevelopmentToken } from '@deletion/testing';
import { readDevelopmentEnv } from './dev/development-env';

/**
 * Prints a development bearer token for an account of the local platform:
 * `npm run token -- ada@acme.test`. The account must be in request-intake's
 * directory, which `npm start` fills with the demo data.
 */
async function main(): Promise<void> {
  const email = process.argv[2];
  if (!email) {
    console.error('usage: npm run token -- EMAIL (for example: npm run token -- ada@acme.test)');
    process.exit(2);
  }
  const env = readDevelopmentEnv();
  const client = new Client({ connectionString: env.DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    console.error(`cannot reach PostgreSQL at ${env.DATABASE_URL} (${(error as Error).message}); start the platform with npm start`);
    process.exit(1);
  }
  try {
    const result = await client.query<{ id: string; platform_roles: string[] }>(
      'SELECT id, platform_roles FROM intake.accounts WHERE lower(email) = lower($1) AND removed_at IS NULL',
      [email],
    );
    if (result.rows.length === 0) {
      console.error(`no account "${email}" in the directory; use one of the demo accounts listed in the README, and start the platform with npm start first`);
      process.exit(1);
    }
    const [account] = result.rows;
    console.log(signDevelopmentToken(env.AUTH_JWT_SECRET, account.id, account.platform_roles, 12 * 3_600));
  } catch (error) {
    console.error(`reading the directory failed (${(error as Error).message}); start the platform with npm start first`);
    process.exit(1);
  } finally {
    await client.end();
  }
}

void main();
