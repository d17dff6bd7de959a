import { TestEnvironment } from '@deletion/testing';

/** Inserts profile and audience rows for a workspace into the two example product areas. */
export async function seedAreaRows(env: TestEnvironment, workspaceId: string, users: number): Promise<void> {
  await env.query(
    `INSERT INTO area_profiles.profiles (workspace_id, user_id, anonymous_id, traits)
     SELECT $1, 'user-' || n, 'anon-' || n, jsonb_build_object('plan', 'pro') FROM generate_series(1, $2) AS n`,
    [workspaceId, users],
  );
  await env.query(
    `INSERT INTO area_audiences.audience_members (workspace_id, audience_id, user_id)
     SELECT $1, 'audience-' || (n % 3), 'user-' || n FROM generate_series(1, $2) AS n`,
    [workspaceId, users],
  );
}

export async function countAreaRows(env: TestEnvironment, workspaceId: string): Promise<{ profiles: number; audiences: number }> {
  const [profiles] = await env.query<{ count: string }>('SELECT count(*) FROM area_profiles.profiles WHERE workspace_id = $1', [workspaceId]);
  const [audiences] = await env.query<{ count: string }>('SELECT count(*) FROM area_audiences.audience_members WHERE workspace_id = $1', [
    workspaceId,
  ]);
  return { profiles: Number(profiles.count), audiences: Number(audiences.count) };
}
