import { productAreaTablesDownSql, productAreaTablesUpSql } from '@deletion/product-area-sdk';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProfilesTables1733300400000 implements MigrationInterface {
  name = 'CreateProfilesTables1733300400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      ...productAreaTablesUpSql('area_profiles'),
      `CREATE TABLE area_profiles.profiles (
         workspace_id uuid NOT NULL,
         user_id text NOT NULL,
         anonymous_id text,
         traits jsonb NOT NULL DEFAULT '{}',
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (workspace_id, user_id)
       )`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE area_profiles.profiles');
    for (const statement of productAreaTablesDownSql('area_profiles')) {
      await queryRunner.query(statement);
    }
  }
}
