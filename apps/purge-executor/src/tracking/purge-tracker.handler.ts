import {
  ARCHIVE_AREA,
  ARCHIVE_ONLY_KINDS,
  EventEnvelope,
  PayloadOf,
  deletionCompletedV1,
  purgeCompletedV1,
  purgeDueV1,
  purgeRetryRequestedV1,
  purgeStartedV1,
} from '@deletion/contracts';
import { EventConsumer } from '@deletion/kafka';
import { OutboxRelay, OutboxWriter, queryPrepared, shiftPlaceholders } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

interface PurgeRow {
  request_id: string;
  workspace_id: string;
  kind: PayloadOf<typeof purgeDueV1>['kind'];
  status: 'purging' | 'completed' | 'failed';
}

interface AreaRow {
  area: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  counts: Record<string, number>;
  error: { message: string } | null;
}

const FINAL_AREA_STATUSES = new Set(['succeeded', 'failed', 'skipped']);

/** Orders a receipt's areas by name as `ORDER BY area COLLATE "C"` does, so both ways of finishing list them alike. */
function byAreaName(left: AreaRow, right: AreaRow): number {
  if (left.area === right.area) {
    return 0;
  }
  return left.area < right.area ? -1 : 1;
}

/**
 * The CTEs that open a tracker statement: the request's advisory lock, then
 * the inbox row ($1 the lock key, $2 the consumer, $3 the event id).
 * `inbox_claim` has a row only for an event not handled before.
 */
const LOCKED_INBOX_CLAIM = `request_lock AS (SELECT pg_advisory_xact_lock(hashtext($1))),
       inbox_claim AS (
         INSERT INTO executor.inbox (consumer, event_id) SELECT $2, $3 FROM request_lock
         ON CONFLICT DO NOTHING RETURNING event_id)`;

/**
 * Tracks each purge until every product area in scope has acknowledged.
 * The tracker waits only for acknowledgements. It does not consume
 * `purge.progress`, because request-intake shows interim progress.
 *
 * Acknowledgements are keyed by (request, area): a duplicate or a replay
 * after a rebalance updates the same row, so it is never counted twice. An
 * acknowledgement may arrive before its `purge.due`, because the two travel
 * on different topics. It is stored then and counted once the purge is known.
 * Both paths take the same per-request advisory lock, so the later one
 * reads the other's rows. The purge's status guards its completion, so the
 * final `deletion.completed` is published once.
 */
export class PurgeTrackerHandler {
  private readonly logger = new Logger(PurgeTrackerHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly consumerName: string,
    private readonly areas: readonly string[],
  ) {}

  register(consumer: EventConsumer): void {
    consumer
      .on(purgeDueV1, (event) => this.startPurgeOnce(event))
      .on(purgeCompletedV1, (event) => this.recordAcknowledgement(event))
      .on(purgeRetryRequestedV1, (event) => this.once(event, (manager) => this.reopenFailedAreas(manager, event.payload)));
  }

  private async once(event: EventEnvelope<{ requestId: string }>, apply: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The request's lock, then the inbox row, in one statement. Later
      // statements take their snapshots after the lock is held, and the
      // inbox insert checks for a conflict against committed rows anyway.
      const { rows: claimed } = await queryPrepared(
        manager,
        `WITH request_lock AS (SELECT pg_advisory_xact_lock(hashtext($1)))
         INSERT INTO executor.inbox (consumer, event_id) SELECT $2, $3 FROM request_lock
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [`purge:${event.payload.requestId}`, this.consumerName, event.eventId],
      );
      if (claimed.length === 1) {
        await apply(manager);
      }
    });
    this.relay.wake();
  }

  /**
   * Starts tracking a purge in one statement: the request's lock, the inbox
   * row, the purge, one row per area and `purge.started`, each written only
   * if the one before it was. The purge can finish at once only when an
   * acknowledgement came first (its area row was there already) or when no
   * area has anything to do, and then a second statement checks it. A
   * redelivered `purge.due` runs that check too, so a crash between the two
   * steps cannot strand a purge.
   */
  private async startPurgeOnce(event: EventEnvelope<PayloadOf<typeof purgeDueV1>>): Promise<void> {
    const job = event.payload;
    const areas = this.areas.map((area) => ({
      area,
      status: ARCHIVE_ONLY_KINDS.has(job.kind) && area !== ARCHIVE_AREA ? ('skipped' as const) : ('pending' as const),
    }));
    const started = this.outbox.insertStatement(
      [
        {
          contract: purgeStartedV1,
          key: job.workspaceId,
          requestId: job.requestId,
          workspaceId: job.workspaceId,
          payload: { requestId: job.requestId, workspaceId: job.workspaceId, areas, startedAt: new Date().toISOString() },
        },
      ],
      { onlyIf: 'EXISTS (SELECT 1 FROM purge)' },
    ).statement;
    const parameters = [
      `purge:${job.requestId}`,
      this.consumerName,
      event.eventId,
      job.requestId,
      job.workspaceId,
      job.kind,
      job.deadline,
      areas.map((area) => area.area),
      areas.map((area) => area.status),
    ];
    const {
      rows: [result],
    } = await queryPrepared<{ claimed: number; started: number; areas_inserted: number }>(
      this.dataSource.manager,
      `WITH ${LOCKED_INBOX_CLAIM},
       purge AS (
         INSERT INTO executor.purges (request_id, workspace_id, kind, status, deadline)
         SELECT $4::uuid, $5::uuid, $6::text, 'purging', $7::timestamptz FROM inbox_claim
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id),
       areas AS (
         INSERT INTO executor.purge_areas (request_id, area, status)
         SELECT purge.request_id, area.name, area.status FROM purge, unnest($8::text[], $9::text[]) AS area (name, status)
         ON CONFLICT DO NOTHING RETURNING area),
       started AS (${shiftPlaceholders(started.sql, parameters.length)})
       SELECT (SELECT count(*) FROM inbox_claim)::int AS claimed, (SELECT count(*) FROM purge)::int AS started,
              (SELECT count(*) FROM areas)::int AS areas_inserted`,
      [...parameters, ...started.parameters],
    );
    this.relay.wake();

    const waitingFor = areas.filter((area) => area.status === 'pending').map((area) => area.area);
    if (result.claimed === 1 && result.started === 0) {
      this.logger.log(`request ${job.requestId}: purge already tracked; skipped`);
      return;
    }
    if (result.started === 1) {
      this.logger.log(`request ${job.requestId}: ${job.kind} purge of workspace ${job.workspaceId} started; waiting for ${waitingFor.join(', ') || 'no area'}`);
    }
    const acknowledgedFirst = result.started === 1 && result.areas_inserted < areas.length;
    if (result.claimed === 0 || acknowledgedFirst || waitingFor.length === 0) {
      await this.finishIfAllAcknowledged(job.requestId);
      this.relay.wake();
    }
  }

  /**
   * Records an area's acknowledgement with the request's lock and the inbox
   * row in one statement, then checks in later statements, which see every
   * acknowledgement committed before the lock was granted, whether the
   * purge is finished. The first statement also returns the purge and the
   * other areas as its snapshot saw them, which spares the read when they
   * are final already. A redelivered acknowledgement runs the check too, so
   * a crash between the statements cannot strand a purge.
   */
  private async recordAcknowledgement(event: EventEnvelope<PayloadOf<typeof purgeCompletedV1>>): Promise<void> {
    const ack = event.payload;
    const {
      rows: [result],
    } = await queryPrepared<{ claimed: number; updated: number; purge: PurgeRow | null; other_areas: AreaRow[] }>(
      this.dataSource.manager,
      `WITH ${LOCKED_INBOX_CLAIM},
       acknowledged AS (
         INSERT INTO executor.purge_areas (request_id, area, status, counts, attempts, error, acknowledged_at)
         SELECT $4::uuid, $5::text, $6::text, $7::jsonb, $8::int, $9::jsonb, now() FROM inbox_claim
         ON CONFLICT (request_id, area) DO UPDATE SET status = EXCLUDED.status, counts = EXCLUDED.counts,
           attempts = EXCLUDED.attempts, error = EXCLUDED.error, acknowledged_at = now(), updated_at = now()
         WHERE executor.purge_areas.status NOT IN ('succeeded', 'skipped')
         RETURNING area)
       SELECT (SELECT count(*) FROM inbox_claim)::int AS claimed, (SELECT count(*) FROM acknowledged)::int AS updated,
              (SELECT json_build_object('request_id', p.request_id, 'workspace_id', p.workspace_id, 'kind', p.kind, 'status', p.status)
                 FROM executor.purges p WHERE p.request_id = $4) AS purge,
              COALESCE((SELECT json_agg(json_build_object('area', a.area, 'status', a.status, 'counts', a.counts, 'error', a.error))
                          FROM executor.purge_areas a WHERE a.request_id = $4 AND a.area <> $5), '[]') AS other_areas`,
      [
        `purge:${ack.requestId}`,
        this.consumerName,
        event.eventId,
        ack.requestId,
        ack.area,
        ack.status,
        JSON.stringify(ack.counts),
        ack.attempt,
        ack.error ? JSON.stringify(ack.error) : null,
      ],
    );
    if (result.claimed === 1 && result.updated === 0) {
      this.logger.log(`request ${ack.requestId}: area ${ack.area} had already acknowledged; duplicate ignored`);
      return;
    }
    if (result.updated === 1) {
      this.logger.log(`request ${ack.requestId}: area ${ack.area} acknowledged (${ack.status})`);
    }
    // The snapshot predates the lock and may miss rows committed meanwhile. Such rows cannot change the outcome
    // when the snapshot already shows the purge and every other area final.
    if (result.updated === 1 && result.purge?.status === 'purging' && result.other_areas.every((area) => FINAL_AREA_STATUSES.has(area.status))) {
      const own: AreaRow = { area: ack.area, status: ack.status, counts: ack.counts, error: ack.error };
      await this.finish(result.purge, [...result.other_areas, own].sort(byAreaName));
    } else {
      await this.finishIfAllAcknowledged(ack.requestId);
    }
    this.relay.wake();
  }

  /** Reopens a failed purge for an operator's retry: its failed areas wait for new acknowledgements. */
  private async reopenFailedAreas(manager: EntityManager, retry: PayloadOf<typeof purgeRetryRequestedV1>): Promise<void> {
    await manager.query(`UPDATE executor.purges SET status = 'purging', finished_at = NULL WHERE request_id = $1 AND status = 'failed'`, [
      retry.requestId,
    ]);
    await manager.query(
      `UPDATE executor.purge_areas SET status = 'pending', error = NULL, updated_at = now()
        WHERE request_id = $1 AND area = ANY($2::text[]) AND status = 'failed'`,
      [retry.requestId, retry.areas],
    );
    this.logger.log(`request ${retry.requestId}: retry of ${retry.areas.join(', ')} requested by ${retry.requestedBy}`);
  }

  /**
   * Finishes the purge when every area has a final result. It runs after the
   * statement that wrote the caller's rows has committed, so it reads every
   * row committed before that statement's lock was granted.
   */
  private async finishIfAllAcknowledged(requestId: string): Promise<void> {
    const manager = this.dataSource.manager;
    // The purge and its areas in one query.
    const {
      rows: [purge],
    } = await queryPrepared<PurgeRow & { areas: AreaRow[] }>(
      manager,
      `SELECT p.request_id, p.workspace_id, p.kind, p.status,
              COALESCE((SELECT json_agg(json_build_object('area', a.area, 'status', a.status, 'counts', a.counts, 'error', a.error) ORDER BY a.area COLLATE "C")
                          FROM executor.purge_areas a WHERE a.request_id = p.request_id), '[]') AS areas
         FROM executor.purges p WHERE p.request_id = $1`,
      [requestId],
    );
    if (!purge || purge.status !== 'purging') {
      return;
    }
    if (purge.areas.every((area) => FINAL_AREA_STATUSES.has(area.status))) {
      await this.finish(purge, purge.areas);
    }
  }

  /**
   * Moves the purge out of `purging` and publishes `deletion.completed` with
   * the receipt of `areas`, unless another check finished it first or an
   * area is no longer final.
   */
  private async finish(purge: PurgeRow, areas: AreaRow[]): Promise<void> {
    const requestId = purge.request_id;
    const outcome = areas.some((area) => area.status === 'failed') ? 'failed' : 'completed';
    const completed = this.outbox.insertStatement(
      [
        {
          contract: deletionCompletedV1,
          key: purge.workspace_id,
          requestId,
          workspaceId: purge.workspace_id,
          payload: {
            requestId,
            workspaceId: purge.workspace_id,
            kind: purge.kind,
            outcome,
            receipt: areas.map((area) => ({
              area: area.area,
              status: area.status as 'succeeded' | 'failed' | 'skipped',
              counts: area.counts,
              error: area.error?.message ?? null,
            })),
            completedAt: new Date().toISOString(),
          },
        },
      ],
      { onlyIf: 'EXISTS (SELECT 1 FROM finished)' },
    ).statement;
    // Guarded by the status, so of two concurrent checks only one finishes the purge and publishes.
    const {
      rows: [finish],
    } = await queryPrepared<{ finished: number }>(
      this.dataSource.manager,
      `WITH finished AS (
         UPDATE executor.purges SET status = $2, finished_at = now()
          WHERE request_id = $1 AND status = 'purging'
            AND NOT EXISTS (SELECT 1 FROM executor.purge_areas
                             WHERE request_id = $1 AND status NOT IN ('succeeded', 'failed', 'skipped'))
         RETURNING request_id),
       completed AS (${shiftPlaceholders(completed.sql, 2)})
       SELECT count(*)::int AS finished FROM finished`,
      [requestId, outcome, ...completed.parameters],
    );
    if (finish.finished === 1) {
      this.logger.log(`request ${requestId}: purge ${outcome}`);
    }
  }
}
