import { messagingTablesDownSql, messagingTablesUpSql } from '@deletion/persistence';
import { productAreaTablesDownSql, productAreaTablesUpSql } from '@deletion/product-area-sdk';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the purge tracker (schema `executor`) and of the archive product area it hosts (schema `area_archive`). */
export class CreateExecutorTables1733300200000 implements MigrationInterface {
  name = 'CreateExecutorTables1733300200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...messagingTablesUpSql('executor'),
      `CREATE TABLE executor.purges (
         request_id uuid PRIMARY KEY,
         workspace_id uuid NOT NULL,
         kind text NOT NULL,
         status text NOT NULL CHECK (status IN ('purging', 'completed', 'failed')),
         deadline timestamptz NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(),
         finished_at timestamptz
       )`,
      `CREATE TABLE executor.purge_areas (
         request_id uuid NOT NULL,
         area text NOT NULL,
         status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
         counts jsonb NOT NULL DEFAULT '{}',
         attempts integer NOT NULL DEFAULT 0,
         error jsonb,
         acknowledged_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (request_id, area)
       )`,
      'CREATE SCHEMA IF NOT EXISTS area_archive',
      ...productAreaTablesUpSql('area_archive'),
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...productAreaTablesDownSql('area_archive'),
      'DROP TABLE executor.purge_areas',
      'DROP TABLE executor.purges',
      ...messagingTablesDownSql('executor'),
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }
}
