import { DirectoryFixture, TestEnvironment, waitFor } from '@deletion/testing';

/** Waits until request-intake has applied every membership of the fixture from the platform events. */
export async function waitForDirectory(env: TestEnvironment, fixture: DirectoryFixture): Promise<void> {
  const expected = fixture.accounts.reduce((total, account) => total + account.memberships.length, 0);
  await waitFor(
    async () => {
      const [row] = await env.query<{ count: string }>('SELECT count(*) FROM intake.memberships');
      return Number(row.count) === expected;
    },
    { description: `request-intake to know all ${expected} memberships`, timeoutMs: 60_000 },
  );
}
