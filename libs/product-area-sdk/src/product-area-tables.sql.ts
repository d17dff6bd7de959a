import { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSchemaName, messagingTablesDownSql, messagingTablesUpSql } from '@deletion/persistence';

/** DDL of the tables the runner keeps in the area's schema: its purge tasks, outbox and inbox. */
export function productAreaTablesUpSql(schemaName: string): string[] {
  const schema = assertSchemaName(schemaName);
  return [
    ...messagingTablesUpSql(schema),
    `CREATE TABLE ${schema}.purge_tasks (
       request_id uuid PRIMARY KEY,
       workspace_id uuid NOT NULL,
       job jsonb NOT NULL,
       status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
       attempts integer NOT NULL DEFAULT 0,
       next_attempt_at timestamptz NOT NULL DEFAULT now(),
       lease_until timestamptz,
       counts jsonb,
       last_error jsonb,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       completed_at timestamptz
     )`,
    `CREATE INDEX purge_tasks_claimable ON ${schema}.purge_tasks (next_attempt_at) WHERE status IN ('pending', 'running')`,
  ];
}

export function productAreaTablesDownSql(schemaName: string): string[] {
  const schema = assertSchemaName(schemaName);
  return [`DROP TABLE ${schema}.purge_tasks`, ...messagingTablesDownSql(schema)];
}

/**
 * Builds a migration that creates only the runner's tables in `schema`, for
 * an area that keeps its data elsewhere (an external API, another store).
 */
export function productAreaTablesMigration(schema: string): new () => MigrationInterface {
  return class CreateProductAreaTables1733300000000 implements MigrationInterface {
    name = 'CreateProductAreaTables1733300000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const statement of productAreaTablesUpSql(schema)) {
        await queryRunner.query(statement);
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      for (const statement of productAreaTablesDownSql(schema)) {
        await queryRunner.query(statement);
      }
    }
  };
}
