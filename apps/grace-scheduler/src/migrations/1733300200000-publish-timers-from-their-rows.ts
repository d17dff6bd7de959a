import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes each timer row its own outbox entry: a fired timer carries the id of
 * its grace.elapsed event and stays unpublished until the relay has sent it.
 * Timers fired before this migration already wrote their events to the
 * outbox table, so they count as published.
 */
export class PublishTimersFromTheirRows1733300200000 implements MigrationInterface {
  name = 'PublishTimersFromTheirRows1733300200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE scheduler.grace_timers
         ADD COLUMN event_id uuid NOT NULL DEFAULT gen_random_uuid(),
         ADD COLUMN published_at timestamptz`,
      `UPDATE scheduler.grace_timers SET published_at = fired_at WHERE state = 'fired'`,
      `CREATE INDEX grace_timers_unpublished ON scheduler.grace_timers (fired_at) WHERE state = 'fired' AND published_at IS NULL`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX scheduler.grace_timers_unpublished');
    await queryRunner.query('ALTER TABLE scheduler.grace_timers DROP COLUMN published_at, DROP COLUMN event_id');
  }
}
