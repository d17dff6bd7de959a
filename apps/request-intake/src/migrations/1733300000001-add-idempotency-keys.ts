import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddIdempotencyKeys1733300000001 implements MigrationInterface {
  name = 'AddIdempotencyKeys1733300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE intake.idempotency_keys (
       account_id uuid NOT NULL,
       idempotency_key text NOT NULL,
       operation text NOT NULL,
       request_hash text NOT NULL,
       response_status integer NOT NULL,
       response_body jsonb NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (account_id, idempotency_key)
     )`);
    await queryRunner.query(`CREATE INDEX deletion_requests_created ON intake.deletion_requests (created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX intake.deletion_requests_created');
    await queryRunner.query('DROP TABLE intake.idempotency_keys');
  }
}
