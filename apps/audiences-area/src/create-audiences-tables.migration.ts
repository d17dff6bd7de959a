import { productAreaTablesDownSql, productAreaTablesUpSql } from '@deletion/product-area-sdk';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAudiencesTables1733300500000 implements MigrationInterface {
  name = 'CreateAudiencesTables1733300500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...productAreaTablesUpSql('area_audiences'),
      `CREATE TABLE area_audiences.audience_members (
         workspace_id uuid NOT NULL,
         audience_id text NOT NULL,
         user_id text NOT NULL,
         added_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (workspace_id, audience_id, user_id)
       )`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE area_audiences.audience_members');
    for (const statement of productAreaTablesDownSql('area_audiences')) {
      await queryRunner.query(statement);
    }
  }
}
