import { messagingTablesDownSql, messagingTablesUpSql } from '@deletion/persistence';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSchedulerTables1733300100000 implements MigrationInterface {
  name = 'CreateSchedulerTables1733300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...messagingTablesUpSql('scheduler'),
      `CREATE TABLE scheduler.grace_timers (
         request_id uuid PRIMARY KEY,
         workspace_id uuid NOT NULL,
         grace_ends_at timestamptz,
         state text NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
         created_at timestamptz NOT NULL DEFAULT now(),
         fired_at timestamptz,
         cancelled_at timestamptz
       )`,
      `CREATE INDEX grace_timers_pending ON scheduler.grace_timers (grace_ends_at) WHERE state = 'pending'`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE scheduler.grace_timers');
    for (const statement of messagingTablesDownSql('scheduler')) {
      await queryRunner.query(statement);
    }
  }
}
