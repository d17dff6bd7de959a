import { MembershipRole } from '@deletion/contracts';
import { queryPrepared } from '@deletion/persistence';
import { EntityManager } from 'typeorm';

export interface WorkspaceRecord {
  id: string;
  slug: string;
  name: string;
  deletedAt: Date | null;
}

export interface AccountRecord {
  id: string;
  email: string;
  name: string;
  platformRoles: string[];
}

/** A workspace with what accepting a request needs: the caller's role and the admins to notify. */
export interface WorkspaceContext extends WorkspaceRecord {
  /** The asking account's role in the workspace; null when it is not a member. */
  callerRole: MembershipRole | null;
  /** The workspace's admins, ordered by email. */
  admins: AccountRecord[];
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the directory of workspaces, accounts and memberships that request-intake keeps from platform events. */
export class DirectoryRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Finds a workspace by its id or by its exact slug; never by prefix or substring. */
  async findWorkspace(slugOrId: string): Promise<WorkspaceRecord | null> {
    const column = UUID_PATTERN.test(slugOrId) ? 'id' : 'slug';
    const rows: Array<{ id: string; slug: string; name: string; deleted_at: Date | null }> = await this.manager.query(
      `SELECT id, slug, name, deleted_at FROM intake.workspaces WHERE ${column} = $1`,
      [column === 'id' ? slugOrId.toLowerCase() : slugOrId],
    );
    const [row] = rows;
    return row ? { id: row.id, slug: row.slug, name: row.name, deletedAt: row.deleted_at } : null;
  }

  /**
   * Finds a workspace like `findWorkspace`, with the caller's role and the
   * admins, in one query: accepting a request reads all three.
   */
  async findWorkspaceContext(slugOrId: string, callerAccountId: string): Promise<WorkspaceContext | null> {
    const column = UUID_PATTERN.test(slugOrId) ? 'id' : 'slug';
    const { rows } = await queryPrepared<{ id: string; slug: string; name: string; deleted_at: Date | null; caller_role: MembershipRole | null; admins: AccountRecord[] }>(
      this.manager,
      `SELECT w.id, w.slug, w.name, w.deleted_at,
              (SELECT m.role FROM intake.memberships m
                 JOIN intake.accounts a ON a.id = m.account_id AND a.removed_at IS NULL
                WHERE m.workspace_id = w.id AND m.account_id = $2) AS caller_role,
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'email', a.email, 'name', a.name, 'platformRoles', a.platform_roles) ORDER BY a.email)
                          FROM intake.memberships m
                          JOIN intake.accounts a ON a.id = m.account_id AND a.removed_at IS NULL
                         WHERE m.workspace_id = w.id AND m.role = 'admin'), '[]') AS admins
         FROM intake.workspaces w WHERE w.${column} = $1`,
      [column === 'id' ? slugOrId.toLowerCase() : slugOrId, callerAccountId],
    );
    const [row] = rows;
    return row ? { id: row.id, slug: row.slug, name: row.name, deletedAt: row.deleted_at, callerRole: row.caller_role, admins: row.admins } : null;
  }

  /** Finds a source of one workspace by its id or exact slug; a source of another workspace is not found. */
  async findSource(workspaceId: string, slugOrId: string): Promise<{ id: string; slug: string } | null> {
    const column = UUID_PATTERN.test(slugOrId) ? 'id' : 'slug';
    const rows: Array<{ id: string; slug: string }> = await this.manager.query(
      `SELECT id, slug FROM intake.sources WHERE workspace_id = $1 AND ${column} = $2`,
      [workspaceId, column === 'id' ? slugOrId.toLowerCase() : slugOrId],
    );
    return rows[0] ?? null;
  }

  /** Lists the workspaces where the account is an admin. */
  async listAdministeredWorkspaces(accountId: string): Promise<WorkspaceRecord[]> {
    const rows: Array<{ id: string; slug: string; name: string; deleted_at: Date | null }> = await this.manager.query(
      `SELECT w.id, w.slug, w.name, w.deleted_at FROM intake.memberships m JOIN intake.workspaces w ON w.id = m.workspace_id
        WHERE m.account_id = $1 AND m.role = 'admin' ORDER BY w.slug`,
      [accountId],
    );
    return rows.map((row) => ({ id: row.id, slug: row.slug, name: row.name, deletedAt: row.deleted_at }));
  }

  async findRole(workspaceId: string, accountId: string): Promise<MembershipRole | null> {
    const rows: Array<{ role: MembershipRole }> = await this.manager.query(
      `SELECT m.role FROM intake.memberships m
         JOIN intake.accounts a ON a.id = m.account_id AND a.removed_at IS NULL
        WHERE m.workspace_id = $1 AND m.account_id = $2`,
      [workspaceId, accountId],
    );
    return rows[0]?.role ?? null;
  }

  async listAdmins(workspaceId: string): Promise<AccountRecord[]> {
    const rows: Array<{ id: string; email: string; name: string; platform_roles: string[] }> = await this.manager.query(
      `SELECT a.id, a.email, a.name, a.platform_roles FROM intake.memberships m
         JOIN intake.accounts a ON a.id = m.account_id AND a.removed_at IS NULL
        WHERE m.workspace_id = $1 AND m.role = 'admin'
        ORDER BY a.email`,
      [workspaceId],
    );
    return rows.map((row) => ({ id: row.id, email: row.email, name: row.name, platformRoles: row.platform_roles }));
  }

  async findAccount(accountId: string): Promise<(AccountRecord & { passwordHash: string }) | null> {
    const rows: Array<{ id: string; email: string; name: string; platform_roles: string[]; password_hash: string }> =
      await this.manager.query(
        'SELECT id, email, name, platform_roles, password_hash FROM intake.accounts WHERE id = $1 AND removed_at IS NULL',
        [accountId],
      );
    const [row] = rows;
    return row
      ? { id: row.id, email: row.email, name: row.name, platformRoles: row.platform_roles, passwordHash: row.password_hash }
      : null;
  }

  async findAccountByEmail(email: string): Promise<(AccountRecord & { passwordHash: string }) | null> {
    const rows: Array<{ id: string; email: string; name: string; platform_roles: string[]; password_hash: string }> =
      await this.manager.query(
        `SELECT id, email, name, platform_roles, password_hash FROM intake.accounts
          WHERE lower(email) = lower($1) AND removed_at IS NULL`,
        [email],
      );
    const [row] = rows;
    return row
      ? { id: row.id, email: row.email, name: row.name, platformRoles: row.platform_roles, passwordHash: row.password_hash }
      : null;
  }
}
