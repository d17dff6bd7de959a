import { MigrationInterface, QueryRunner } from 'typeorm';

export class StoreRequestScope1733300300001 implements MigrationInterface {
  name = 'StoreRequestScope1733300300001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notifier.request_recipients ADD COLUMN scope jsonb NOT NULL DEFAULT '{"type": "workspace"}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE notifier.request_recipients DROP COLUMN scope');
  }
}
