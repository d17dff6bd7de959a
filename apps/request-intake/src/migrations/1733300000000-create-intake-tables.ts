import { messagingTablesDownSql, messagingTablesUpSql } from '@deletion/persistence';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIntakeTables1733300000000 implements MigrationInterface {
  name = 'CreateIntakeTables1733300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...messagingTablesUpSql('intake'),
      `CREATE TABLE intake.workspaces (
         id uuid PRIMARY KEY,
         slug text NOT NULL UNIQUE,
         name text NOT NULL,
         created_at timestamptz NOT NULL,
         deleted_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE intake.sources (
         id uuid PRIMARY KEY,
         workspace_id uuid NOT NULL REFERENCES intake.workspaces (id),
         slug text NOT NULL,
         name text NOT NULL,
         UNIQUE (workspace_id, slug)
       )`,
      `CREATE TABLE intake.accounts (
         id uuid PRIMARY KEY,
         email text NOT NULL,
         name text NOT NULL,
         password_hash text NOT NULL,
         platform_roles text[] NOT NULL DEFAULT '{}',
         removed_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE UNIQUE INDEX accounts_email ON intake.accounts (lower(email))`,
      `CREATE TABLE intake.memberships (
         workspace_id uuid NOT NULL REFERENCES intake.workspaces (id),
         account_id uuid NOT NULL REFERENCES intake.accounts (id),
         role text NOT NULL CHECK (role IN ('admin', 'member')),
         PRIMARY KEY (workspace_id, account_id)
       )`,
      `CREATE TABLE intake.deletion_requests (
         id uuid PRIMARY KEY,
         kind text NOT NULL,
         status text NOT NULL CHECK (status IN ('scheduled', 'due', 'purging', 'completed', 'failed', 'cancelled')),
         workspace_id uuid NOT NULL,
         requested_by uuid NOT NULL,
         scope jsonb NOT NULL,
         reason text,
         ticket text,
         created_at timestamptz NOT NULL,
         grace_ends_at timestamptz,
         deadline timestamptz NOT NULL,
         due_at timestamptz,
         purging_at timestamptz,
         completed_at timestamptz,
         cancelled_at timestamptz,
         cancelled_by uuid,
         receipt jsonb,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE INDEX deletion_requests_workspace ON intake.deletion_requests (workspace_id, created_at DESC)`,
      // One open complete data purge per workspace: a second request while one is open is a conflict.
      `CREATE UNIQUE INDEX deletion_requests_one_open_workspace_purge ON intake.deletion_requests (workspace_id)
         WHERE kind IN ('workspace', 'purge') AND status IN ('scheduled', 'due', 'purging')`,
      `CREATE TABLE intake.request_areas (
         request_id uuid NOT NULL REFERENCES intake.deletion_requests (id),
         area text NOT NULL,
         status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
         counts jsonb NOT NULL DEFAULT '{}',
         attempts integer NOT NULL DEFAULT 0,
         error jsonb,
         next_attempt_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (request_id, area)
       )`,
      `CREATE TABLE intake.audit_events (
         id bigserial PRIMARY KEY,
         request_id uuid NOT NULL REFERENCES intake.deletion_requests (id),
         occurred_at timestamptz NOT NULL DEFAULT now(),
         actor text NOT NULL,
         action text NOT NULL,
         reason text,
         ticket text,
         details jsonb NOT NULL DEFAULT '{}'
       )`,
      `CREATE INDEX audit_events_request ON intake.audit_events (request_id, id)`,
      `CREATE FUNCTION intake.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP;
         END
       $$`,
      `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON intake.audit_events
         FOR EACH ROW EXECUTE FUNCTION intake.reject_audit_change()`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      'DROP TABLE intake.audit_events',
      'DROP FUNCTION intake.reject_audit_change',
      'DROP TABLE intake.request_areas',
      'DROP TABLE intake.deletion_requests',
      'DROP TABLE intake.memberships',
      'DROP TABLE intake.accounts',
      'DROP TABLE intake.sources',
      'DROP TABLE intake.workspaces',
      ...messagingTablesDownSql('intake'),
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }
}
