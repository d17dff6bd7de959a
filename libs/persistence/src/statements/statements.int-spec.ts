import { TestEnvironment } from '@deletion/testing';
import { DataSource, MigrationInterface, QueryFailedError, QueryRunner } from 'typeorm';
import { openServiceDataSource } from '../data-source.factory';
import { WriteStatement, runWritesAsOneStatement } from './one-statement';
import { queryPrepared } from './prepared-query';

class CreateStatementTables1733300000001 implements MigrationInterface {
  name = 'CreateStatementTables1733300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE statement_spec.parents (id text PRIMARY KEY, label text NOT NULL)`);
    await queryRunner.query(
      `CREATE TABLE statement_spec.children (parent_id text NOT NULL REFERENCES statement_spec.parents (id), position int NOT NULL, note text NOT NULL)`,
    );
  }

  async down(): Promise<void> {}
}

describe('runWritesAsOneStatement and queryPrepared on PostgreSQL', () => {
  const env = new TestEnvironment();
  let dataSource: DataSource;

  const parent = (id: string, label: string): WriteStatement => ({ sql: 'INSERT INTO statement_spec.parents (id, label) VALUES ($1, $2)', parameters: [id, label] });
  const child = (parentId: string, position: number, note: string): WriteStatement => ({
    sql: 'INSERT INTO statement_spec.children (parent_id, position, note) VALUES ($1, $2, $3)',
    parameters: [parentId, position, note],
  });
  const rows = (sql: string) => env.query(sql);

  beforeAll(async () => {
    dataSource = await openServiceDataSource({
      url: env.databaseUrl,
      schema: 'statement_spec',
      entities: [],
      migrations: [CreateStatementTables1733300000001],
      poolSize: 2,
      runMigrations: true,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await env.dispose();
  });

  it('writes a parent and its children at once', async () => {
    await runWritesAsOneStatement(dataSource.manager, [parent('p1', 'first'), child('p1', 1, 'one'), child('p1', 2, 'two')]);

    expect(await rows(`SELECT id, label FROM statement_spec.parents WHERE id = 'p1'`)).toEqual([{ id: 'p1', label: 'first' }]);
    expect(await rows(`SELECT position, note FROM statement_spec.children WHERE parent_id = 'p1' ORDER BY position`)).toEqual([
      { position: 1, note: 'one' },
      { position: 2, note: 'two' },
    ]);
  });

  it('writes nothing when one write fails', async () => {
    await runWritesAsOneStatement(dataSource.manager, [parent('p2', 'second')]);

    // The second parent repeats a primary key: the first parent and the child must not stay behind.
    await expect(runWritesAsOneStatement(dataSource.manager, [parent('p3', 'third'), child('p3', 1, 'kept?'), parent('p2', 'again')])).rejects.toThrow(
      /duplicate key/,
    );

    expect(await rows(`SELECT id FROM statement_spec.parents WHERE id IN ('p2', 'p3') ORDER BY id`)).toEqual([{ id: 'p2' }]);
    expect(await rows(`SELECT note FROM statement_spec.children WHERE parent_id = 'p3'`)).toEqual([]);
  });

  it('rejects a write with its own WITH', async () => {
    const nested: WriteStatement = { sql: 'WITH x AS (SELECT 1) INSERT INTO statement_spec.parents (id, label) SELECT $1, $2 FROM x', parameters: ['p4', 'x'] };

    await expect(runWritesAsOneStatement(dataSource.manager, [parent('p5', 'fifth'), nested])).rejects.toThrow(/write 2 of 2 has its own WITH clause/);
    expect(await rows(`SELECT id FROM statement_spec.parents WHERE id IN ('p4', 'p5')`)).toEqual([]);
  });

  it('prepares inside the calling transaction', async () => {
    const insert = 'INSERT INTO statement_spec.parents (id, label) VALUES ($1, $2) RETURNING id';

    await expect(
      dataSource.transaction(async (manager) => {
        expect((await queryPrepared(manager, insert, ['p6', 'rolled back'])).rows).toEqual([{ id: 'p6' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const outside = await queryPrepared(dataSource.manager, insert, ['p7', 'committed']);

    expect(outside).toEqual({ rows: [{ id: 'p7' }], rowCount: 1 });
    expect(await rows(`SELECT id FROM statement_spec.parents WHERE id IN ('p6', 'p7') ORDER BY id`)).toEqual([{ id: 'p7' }]);
  });

  it('reports failures as QueryFailedError', async () => {
    const insert = 'INSERT INTO statement_spec.parents (id, label) VALUES ($1, $2)';
    await queryPrepared(dataSource.manager, insert, ['p8', 'first']);

    const failure = await queryPrepared(dataSource.manager, insert, ['p8', 'again']).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
  });
});
