import { messagingTablesDownSql, messagingTablesUpSql } from '@deletion/persistence';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotifierTables1733300300000 implements MigrationInterface {
  name = 'CreateNotifierTables1733300300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...messagingTablesUpSql('notifier'),
      `CREATE TABLE notifier.request_recipients (
         request_id uuid PRIMARY KEY,
         workspace_id uuid NOT NULL,
         workspace_slug text NOT NULL,
         kind text NOT NULL,
         recipients jsonb NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE notifier.notifications (
         request_id uuid NOT NULL,
         notification text NOT NULL,
         recipients integer NOT NULL,
         sent_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (request_id, notification)
       )`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE notifier.notifications');
    await queryRunner.query('DROP TABLE notifier.request_recipients');
    for (const statement of messagingTablesDownSql('notifier')) {
      await queryRunner.query(statement);
    }
  }
}
