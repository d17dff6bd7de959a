import { Kafka } from 'kafkajs';
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

/** Checks that a Kafka broker responds to a metadata request within `timeoutMs`. */
export function kafkaCheck(kafka: Kafka, timeoutMs = 3_000): HealthCheck {
  return async () => {
    const admin = kafka.admin();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not respond within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([(async () => {
        await admin.connect();
        await admin.describeCluster();
      })(), timeout]);
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
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
