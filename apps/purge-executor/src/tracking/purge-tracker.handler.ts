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

/** Builds the SQL call that takes the advisory lock of a request's purge from an SQL expression of its id. Every tracker statement about the request takes it. */
function purgeLock(requestId: string): string {
  return `pg_advisory_xact_lock(hashtext('purge:' || (${requestId})::text))`;
}

/**
 * Builds the CTEs that open a tracker statement about the requests of
 * `input`, a CTE with `event_id` and `request_id`. They take the requests'
 * advisory locks in the order of their ids, so two statements never wait
 * for each other in a circle, and then insert the inbox rows ($2 is the consumer).
 * `inbox_claim` contains the events not handled before.
 */
function lockedInboxClaim(input: string): string {
  return `request_lock AS (SELECT ${purgeLock('request_id')} FROM (SELECT request_id FROM ${input} ORDER BY request_id) AS ordered),
       inbox_claim AS (
         INSERT INTO executor.inbox (consumer, event_id) SELECT $2, event_id FROM ${input} WHERE (SELECT count(*) FROM request_lock) > 0
         ON CONFLICT DO NOTHING RETURNING event_id)`;
}

/** A purge with its areas' results, ready to finish. */
interface FinishingPurge {
  purge: PurgeRow;
  areas: AreaRow[];
}

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
      // A fetched batch's purges start, and its acknowledgements are recorded, one statement per round (see EventConsumer).
      .onBatch(purgeDueV1, (events) => this.startPurgesOnce(events))
      .onBatch(purgeCompletedV1, (events) => this.recordAcknowledgements(events))
      .on(purgeRetryRequestedV1, (event) => this.once(event, (manager) => this.reopenFailedAreas(manager, event.payload)));
  }

  private async once(event: EventEnvelope<{ requestId: string }>, apply: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The request's lock, then the inbox row, in one statement. Later
      // statements take their snapshots after the lock is held, and the
      // inbox insert checks for a conflict against committed rows anyway.
      const { rows: claimed } = await queryPrepared(
        manager,
        `WITH request_lock AS (SELECT ${purgeLock('$1::uuid')})
         INSERT INTO executor.inbox (consumer, event_id) SELECT $2, $3 FROM request_lock
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [event.payload.requestId, this.consumerName, event.eventId],
      );
      if (claimed.length === 1) {
        await apply(manager);
      }
    });
    this.relay.wake();
  }

  /**
   * Starts tracking purges in one statement: the requests' locks, the inbox
   * rows, the purges, one row per area and `purge.started`, each written
   * only if the one before it was. A purge can finish at once only when an
   * acknowledgement came first (its area row was there already) or when no
   * area has anything to do, and then a later statement checks it. A
   * redelivered `purge.due` runs that check too, so a crash between the two
   * steps cannot strand a purge.
   */
  private async startPurgesOnce(events: Array<EventEnvelope<PayloadOf<typeof purgeDueV1>>>): Promise<void> {
    const jobs = events.map((event) => {
      const job = event.payload;
      const areas = this.areas.map((area) => ({
        area,
        status: ARCHIVE_ONLY_KINDS.has(job.kind) && area !== ARCHIVE_AREA ? ('skipped' as const) : ('pending' as const),
      }));
      return { eventId: event.eventId, job, areas };
    });
    const started = this.outbox.insertStatement(
      jobs.map(({ job, areas }) => ({
        contract: purgeStartedV1,
        key: job.workspaceId,
        requestId: job.requestId,
        workspaceId: job.workspaceId,
        payload: { requestId: job.requestId, workspaceId: job.workspaceId, areas, startedAt: new Date().toISOString() },
      })),
      { onlyIf: `(event.payload ->> 'requestId')::uuid IN (SELECT request_id FROM purge)` },
    ).statement;
    const parameters = [
      JSON.stringify(
        jobs.map(({ eventId, job, areas }) => ({
          event_id: eventId,
          request_id: job.requestId,
          workspace_id: job.workspaceId,
          kind: job.kind,
          deadline: job.deadline,
          areas,
        })),
      ),
      this.consumerName,
    ];
    const { rows } = await queryPrepared<{ request_id: string; claimed: boolean; started: boolean; areas_inserted: number }>(
      this.dataSource.manager,
      `WITH due AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS due (event_id uuid, request_id uuid, workspace_id uuid, kind text, deadline timestamptz, areas jsonb)),
       ${lockedInboxClaim('due')},
       purge AS (
         INSERT INTO executor.purges (request_id, workspace_id, kind, status, deadline)
         SELECT request_id, workspace_id, kind, 'purging', deadline FROM due WHERE event_id IN (SELECT event_id FROM inbox_claim)
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id),
       areas AS (
         INSERT INTO executor.purge_areas (request_id, area, status)
         SELECT due.request_id, area.area, area.status FROM due JOIN purge USING (request_id), jsonb_to_recordset(due.areas) AS area (area text, status text)
         ON CONFLICT DO NOTHING RETURNING request_id),
       started AS (${shiftPlaceholders(started.sql, parameters.length)})
       SELECT due.request_id, due.event_id IN (SELECT event_id FROM inbox_claim) AS claimed,
              due.request_id IN (SELECT request_id FROM purge) AS started,
              (SELECT count(*) FROM areas WHERE areas.request_id = due.request_id)::int AS areas_inserted
         FROM due`,
      [...parameters, ...started.parameters],
    );
    this.relay.wake();

    const results = new Map(rows.map((row) => [row.request_id, row]));
    const toCheck: string[] = [];
    for (const { job, areas } of jobs) {
      const result = results.get(job.requestId);
      if (!result) {
        throw new Error(`request ${job.requestId}: the statement that starts purges returned no row for it`);
      }
      const waitingFor = areas.filter((area) => area.status === 'pending').map((area) => area.area);
      if (result.claimed && !result.started) {
        this.logger.log(`request ${job.requestId}: purge already tracked; skipped`);
        continue;
      }
      if (result.started) {
        this.logger.log(`request ${job.requestId}: ${job.kind} purge of workspace ${job.workspaceId} started; waiting for ${waitingFor.join(', ') || 'no area'}`);
      }
      const acknowledgedFirst = result.started && result.areas_inserted < areas.length;
      if (!result.claimed || acknowledgedFirst || waitingFor.length === 0) {
        toCheck.push(job.requestId);
      }
    }
    await this.finishIfAllAcknowledged(toCheck);
  }

  /**
   * Records areas' acknowledgements with the requests' locks and the inbox
   * rows in one statement, then checks in later statements, which see
   * every acknowledgement committed before the locks were granted, whether
   * the purges are finished. The first statement also returns each purge
   * and its other areas as its snapshot saw them, which spares the read
   * when they are final already. A redelivered acknowledgement runs the
   * check too, so a crash between the statements cannot strand a purge.
   */
  private async recordAcknowledgements(events: Array<EventEnvelope<PayloadOf<typeof purgeCompletedV1>>>): Promise<void> {
    const { rows } = await queryPrepared<{ request_id: string; claimed: boolean; updated: boolean; purge: PurgeRow | null; other_areas: AreaRow[] }>(
      this.dataSource.manager,
      `WITH ack AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS ack (event_id uuid, request_id uuid, area text, status text, counts jsonb, attempts int, error jsonb)),
       ${lockedInboxClaim('ack')},
       acknowledged AS (
         INSERT INTO executor.purge_areas (request_id, area, status, counts, attempts, error, acknowledged_at)
         SELECT request_id, area, status, counts, attempts, error, now() FROM ack WHERE event_id IN (SELECT event_id FROM inbox_claim)
         ON CONFLICT (request_id, area) DO UPDATE SET status = EXCLUDED.status, counts = EXCLUDED.counts,
           attempts = EXCLUDED.attempts, error = EXCLUDED.error, acknowledged_at = now(), updated_at = now()
         WHERE executor.purge_areas.status NOT IN ('succeeded', 'skipped')
         RETURNING request_id)
       SELECT ack.request_id, ack.event_id IN (SELECT event_id FROM inbox_claim) AS claimed,
              ack.request_id IN (SELECT request_id FROM acknowledged) AS updated,
              (SELECT json_build_object('request_id', p.request_id, 'workspace_id', p.workspace_id, 'kind', p.kind, 'status', p.status)
                 FROM executor.purges p WHERE p.request_id = ack.request_id) AS purge,
              COALESCE((SELECT json_agg(json_build_object('area', a.area, 'status', a.status, 'counts', a.counts, 'error', a.error))
                          FROM executor.purge_areas a WHERE a.request_id = ack.request_id AND a.area <> ack.area), '[]') AS other_areas
         FROM ack`,
      [
        JSON.stringify(
          events.map(({ eventId, payload }) => ({
            event_id: eventId,
            request_id: payload.requestId,
            area: payload.area,
            status: payload.status,
            counts: payload.counts,
            attempts: payload.attempt,
            error: payload.error,
          })),
        ),
        this.consumerName,
      ],
    );

    const results = new Map(rows.map((row) => [row.request_id, row]));
    const finishing: FinishingPurge[] = [];
    const toCheck: string[] = [];
    for (const { payload: ack } of events) {
      const result = results.get(ack.requestId);
      if (!result) {
        throw new Error(`request ${ack.requestId}: the statement that records acknowledgements returned no row for it`);
      }
      if (result.claimed && !result.updated) {
        this.logger.log(`request ${ack.requestId}: area ${ack.area} had already acknowledged; duplicate ignored`);
        continue;
      }
      if (result.updated) {
        this.logger.log(`request ${ack.requestId}: area ${ack.area} acknowledged (${ack.status})`);
      }
      // The snapshot predates the lock and may miss rows committed meanwhile. Such rows cannot change the outcome
      // when the snapshot already shows the purge and every other area final.
      if (result.updated && result.purge?.status === 'purging' && result.other_areas.every((area) => FINAL_AREA_STATUSES.has(area.status))) {
        const own: AreaRow = { area: ack.area, status: ack.status, counts: ack.counts, error: ack.error };
        finishing.push({ purge: result.purge, areas: [...result.other_areas, own].sort(byAreaName) });
      } else {
        toCheck.push(ack.requestId);
      }
    }
    await this.finish(finishing);
    await this.finishIfAllAcknowledged(toCheck);
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
   * Finishes each purge whose areas all have a final result. It runs after
   * the statement that wrote the caller's rows has committed, so it reads
   * every row committed before that statement's locks were granted.
   */
  private async finishIfAllAcknowledged(requestIds: string[]): Promise<void> {
    if (requestIds.length === 0) {
      return;
    }
    // The purges and their areas in one query.
    const { rows } = await queryPrepared<PurgeRow & { areas: AreaRow[] }>(
      this.dataSource.manager,
      `SELECT p.request_id, p.workspace_id, p.kind, p.status,
              COALESCE((SELECT json_agg(json_build_object('area', a.area, 'status', a.status, 'counts', a.counts, 'error', a.error) ORDER BY a.area COLLATE "C")
                          FROM executor.purge_areas a WHERE a.request_id = p.request_id), '[]') AS areas
         FROM executor.purges p WHERE p.request_id = ANY($1::uuid[])`,
      [requestIds],
    );
    await this.finish(
      rows
        .filter((purge) => purge.status === 'purging' && purge.areas.every((area) => FINAL_AREA_STATUSES.has(area.status)))
        .map(({ areas, ...purge }) => ({ purge, areas })),
    );
  }

  /**
   * Moves purges out of `purging` and publishes `deletion.completed` for
   * each, with the receipt of its areas, in one statement. A purge that
   * another check finished first, or with an area that is no longer final,
   * stays as it is and publishes nothing.
   */
  private async finish(purges: FinishingPurge[]): Promise<void> {
    if (purges.length === 0) {
      return;
    }
    const outcomes = purges.map(({ purge, areas }) => ({
      purge,
      areas,
      outcome: areas.some((area) => area.status === 'failed') ? ('failed' as const) : ('completed' as const),
    }));
    const completed = this.outbox.insertStatement(
      outcomes.map(({ purge, areas, outcome }) => ({
        contract: deletionCompletedV1,
        key: purge.workspace_id,
        requestId: purge.request_id,
        workspaceId: purge.workspace_id,
        payload: {
          requestId: purge.request_id,
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
      })),
      { onlyIf: `(event.payload ->> 'requestId')::uuid IN (SELECT request_id FROM finished)` },
    ).statement;
    // Guarded by the status, so of two concurrent checks only one finishes a purge and publishes. The purges are
    // locked in the order of their ids, so two finishing statements never wait for each other in a circle.
    const { rows } = await queryPrepared<{ request_id: string; status: string }>(
      this.dataSource.manager,
      `WITH outcome AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS outcome (request_id uuid, status text)),
       locked AS (
         SELECT request_id FROM executor.purges WHERE request_id = ANY($2::uuid[]) ORDER BY request_id FOR NO KEY UPDATE),
       finished AS (
         UPDATE executor.purges p SET status = outcome.status, finished_at = now()
           FROM outcome
          WHERE p.request_id IN (SELECT request_id FROM locked) AND p.request_id = outcome.request_id AND p.status = 'purging'
            AND NOT EXISTS (SELECT 1 FROM executor.purge_areas a
                             WHERE a.request_id = p.request_id AND a.status NOT IN ('succeeded', 'failed', 'skipped'))
         RETURNING p.request_id, p.status),
       completed AS (${shiftPlaceholders(completed.sql, 2)})
       SELECT request_id, status FROM finished`,
      [
        JSON.stringify(outcomes.map(({ purge, outcome }) => ({ request_id: purge.request_id, status: outcome }))),
        outcomes.map(({ purge }) => purge.request_id),
        ...completed.parameters,
      ],
    );
    for (const row of rows) {
      this.logger.log(`request ${row.request_id}: purge ${row.status}`);
    }
    if (rows.length > 0) {
      this.relay.wake();
    }
  }
}
