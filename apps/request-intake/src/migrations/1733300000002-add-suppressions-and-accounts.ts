import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddSuppressionsAndAccounts1733300000002 implements MigrationInterface {
  name = 'AddSuppressionsAndAccounts1733300000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE intake.suppressions (
       workspace_id uuid NOT NULL,
       subject_type text NOT NULL CHECK (subject_type IN ('userId', 'anonymousId')),
       subject text NOT NULL,
       request_id uuid NOT NULL,
       suppressed_by uuid NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (workspace_id, subject_type, subject)
     )`);
    await queryRunner.query(`CREATE TABLE intake.password_failures (
       account_id uuid NOT NULL,
       failed_at timestamptz NOT NULL DEFAULT now()
     )`);
    await queryRunner.query('CREATE INDEX password_failures_account ON intake.password_failures (account_id, failed_at)');
    await queryRunner.query(`CREATE TABLE intake.account_deletions (
       account_id uuid PRIMARY KEY,
       status text NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
       request_ids uuid[] NOT NULL,
       requested_at timestamptz NOT NULL DEFAULT now(),
       completed_at timestamptz
     )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE intake.account_deletions');
    await queryRunner.query('DROP TABLE intake.password_failures');
    await queryRunner.query('DROP TABLE intake.suppressions');
  }
}
