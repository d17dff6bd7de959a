import { DeletionKind, deadlineAtRiskV1 } from '@deletion/contracts';
import { OutboxRelay, OutboxWriter, queryRows } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

interface AtRiskRequest {
  id: string;
  kind: DeletionKind;
  status: string;
  workspace_id: string;
  deadline: Date;
}

/**
 * Watches the deadlines of open requests. A request that is not completed
 * `alertBeforeMs` before its deadline is published once as
 * `deletion.deadline-at-risk` (the notifier emails the operators), and the
 * gauge `deletion_requests_at_risk` counts all such requests for alerting rules.
 */
export class DeadlineMonitor {
  private readonly logger = new Logger(DeadlineMonitor.name);
  private readonly atRisk: Gauge;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    registry: Registry,
    private readonly options: { alertBeforeMs: number; intervalMs: number },
  ) {
    this.atRisk = new Gauge({
      name: 'deletion_requests_at_risk',
      help: 'Open deletion requests within the alert window before their deadline, or past it',
      registers: [registry],
    });
  }

  start(): void {
    const tick = () => {
      this.running = this.check()
        .then(() => undefined)
        .catch((error: Error) => this.logger.error(`checking deadlines failed: ${error.message}`))
        .finally(() => {
          this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
    clearTimeout(this.timer);
  }

  /** Alerts on every open request that entered the alert window since the last check; returns how many. */
  async check(): Promise<number> {
    const alertSeconds = this.options.alertBeforeMs / 1_000;
    const alerted = await this.dataSource.transaction(async (manager) => {
      const rows = await queryRows<AtRiskRequest>(
        manager,
        `UPDATE intake.deletion_requests SET deadline_alerted_at = now()
          WHERE id IN (
                SELECT id FROM intake.deletion_requests
                 WHERE status IN ('scheduled', 'due', 'purging', 'failed')
                   AND deadline_alerted_at IS NULL
                   AND deadline <= now() + make_interval(secs => $1)
                 ORDER BY deadline LIMIT 100
                 FOR UPDATE SKIP LOCKED)
          RETURNING id, kind, status, workspace_id, deadline`,
        [alertSeconds],
      );
      for (const row of rows) {
        const pending: Array<{ area: string }> = await manager.query(
          `SELECT area FROM intake.request_areas WHERE request_id = $1 AND status NOT IN ('succeeded', 'skipped') ORDER BY area`,
          [row.id],
        );
        await this.outbox.add(manager, deadlineAtRiskV1, {
          key: row.workspace_id,
          requestId: row.id,
          workspaceId: row.workspace_id,
          payload: {
            requestId: row.id,
            workspaceId: row.workspace_id,
            kind: row.kind,
            status: row.status,
            deadline: row.deadline.toISOString(),
            pendingAreas: pending.map((area) => area.area),
          },
        });
        this.logger.warn(`request ${row.id}: ${row.status} with deadline ${row.deadline.toISOString()}; alert raised`);
      }
      return rows.length;
    });
    if (alerted > 0) {
      this.relay.wake();
    }

    const [count]: Array<{ count: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM intake.deletion_requests
        WHERE status IN ('scheduled', 'due', 'purging', 'failed') AND deadline <= now() + make_interval(secs => $1)`,
      [alertSeconds],
    );
    this.atRisk.set(count.count);
    return alerted;
  }
}
