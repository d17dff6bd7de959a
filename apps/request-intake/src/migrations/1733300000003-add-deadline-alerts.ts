import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddDeadlineAlerts1733300000003 implements MigrationInterface {
  name = 'AddDeadlineAlerts1733300000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE intake.deletion_requests ADD COLUMN deadline_alerted_at timestamptz');
    await queryRunner.query(
      `CREATE INDEX deletion_requests_open_deadline ON intake.deletion_requests (deadline)
         WHERE status IN ('scheduled', 'due', 'purging', 'failed')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX intake.deletion_requests_open_deadline');
    await queryRunner.query('ALTER TABLE intake.deletion_requests DROP COLUMN deadline_alerted_at');
  }
}
