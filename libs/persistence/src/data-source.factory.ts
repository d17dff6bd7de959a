import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, EntitySchema, MixedList } from 'typeorm';

export interface ServiceDataSourceOptions {
  url: string;
  /** The PostgreSQL schema that contains this service's tables. No other service writes to it. */
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  poolSize: number;
  runMigrations: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lowercase letters, digits and underscores`);
  }
  return schema;
}

/**
 * Creates the database named in the URL when it is missing. Development and
 * test databases come and go; in production the database exists and this is
 * a no-op.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';

  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${target.host} (${(error as Error).message}); start PostgreSQL or set DATABASE_URL`,
    );
  }
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    }
  } catch (error) {
    // Two services starting together may both try to create it, and the second gets a duplicate error.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') {
      throw error;
    }
  } finally {
    await client.end();
  }
}

/**
 * Opens a service's data source: its own schema, its own migrations table,
 * and migrations instead of `synchronize`.
 */
export async function openServiceDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  const schema = assertSchemaName(options.schema);
  await ensureDatabase(options.url);

  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: { max: options.poolSize },
  });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);

  if (options.runMigrations) {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      new Logger('Migrations').log(`applied ${applied.length} migration(s) to schema ${schema}`);
    }
  }
  return dataSource;
}
