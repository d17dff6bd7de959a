import { DataSource } from 'typeorm';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'ok' | 'unavailable'; detail?: string }>;
}

export type HealthCheck = () => Promise<void>;

export function databaseCheck(dataSource: DataSource): HealthCheck {
  return async () => {
    await dataSource.query('SELECT 1');
  };
}

/** Runs every named check; the service is healthy when all pass. */
export async function runHealthChecks(checks: Record<string, HealthCheck>): Promise<HealthReport> {
  const results: HealthReport['checks'] = {};
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check();
      results[name] = { status: 'ok' };
    } catch (error) {
      results[name] = { status: 'unavailable', detail: (error as Error).message };
    }
  }
  const healthy = Object.values(results).every((result) => result.status === 'ok');
  return { status: healthy ? 'ok' : 'unavailable', checks: results };
}
