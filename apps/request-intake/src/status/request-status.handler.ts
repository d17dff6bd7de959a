import {
  EventEnvelope,
  PayloadOf,
  deletionCompletedV1,
  graceElapsedV1,
  purgeCompletedV1,
  purgeProgressV1,
  purgeStartedV1,
} from '@deletion/contracts';
import { EventConsumer } from '@deletion/kafka';
import { claimInboxEvent } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { completeAccountDeletions } from '../accounts/account-deletions.repository';
import { DeletionRequestRepository } from '../deletion-requests/deletion-request.repository';
import { DeletionRequestsService } from '../deletion-requests/deletion-requests.service';
import { WorkspaceContextCache } from '../directory/workspace-context.cache';

/** Picks the event id, request, area and attempt of an area's event. */
function areaOf({ eventId, payload }: EventEnvelope<{ requestId: string; area: string; attempt: number }>) {
  return { eventId, requestId: payload.requestId, area: payload.area, attempts: payload.attempt };
}

/**
 * Moves requests through their lifecycle from the events of the other
 * services: the end of grace, the start of the purge, each area's progress
 * and acknowledgement, and the final outcome. Each event is applied once (inbox).
 */
export class RequestStatusHandler {
  private readonly logger = new Logger(RequestStatusHandler.name);
  /** For the events applied in one statement, outside any transaction. */
  private readonly repository: DeletionRequestRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumerName: string,
    private readonly requests: DeletionRequestsService,
    private readonly directoryReads: WorkspaceContextCache,
  ) {
    this.repository = new DeletionRequestRepository(dataSource.manager);
  }

  register(consumer: EventConsumer): void {
    consumer
      .on(graceElapsedV1, (event) => this.applyGraceElapsed(event))
      // The events that come for every request and area are applied a fetched batch at a time, one statement per batch and type.
      .onBatch(purgeStartedV1, (events) =>
        this.repository.markPurgeStartedOnce(
          this.consumerName,
          events.map((event) => ({ eventId: event.eventId, requestId: event.payload.requestId, areas: event.payload.areas })),
        ),
      )
      .onBatch(purgeProgressV1, (events) =>
        this.repository.upsertAreasOnce(
          this.consumerName,
          events.map((event) => ({
            ...areaOf(event),
            status: event.payload.status === 'running' ? 'running' : 'pending',
            error: event.payload.error,
            nextAttemptAt: event.payload.nextAttemptAt,
          })),
        ),
      )
      .onBatch(purgeCompletedV1, (events) =>
        this.repository.upsertAreasOnce(
          this.consumerName,
          events.map((event) => ({ ...areaOf(event), status: event.payload.status, counts: event.payload.counts, error: event.payload.error, nextAttemptAt: null })),
        ),
      )
      .onBatch(deletionCompletedV1, (events) => this.applyOutcomes(events));
  }

  private async applyOutcomes(events: Array<EventEnvelope<PayloadOf<typeof deletionCompletedV1>>>): Promise<void> {
    const requests = await this.repository.markFinishedOnce(
      this.consumerName,
      events.map(({ eventId, payload }) => ({
        eventId,
        requestId: payload.requestId,
        outcome: payload.outcome,
        completedAt: payload.completedAt,
        receipt: payload.receipt,
      })),
    );
    // The check runs on duplicates too, so a crash right after the statement above cannot leave an account deletion pending.
    const completed = new Set(events.filter((event) => event.payload.outcome === 'completed').map((event) => event.payload.requestId));
    const waiting = requests.filter((request) => request.accountDeletionWaiting && completed.has(request.requestId));
    for (const { requestId } of waiting) {
      await this.dataSource.transaction((manager) => completeAccountDeletions(manager, requestId));
    }
    if (waiting.length > 0) {
      // A completed account deletion removed an account and its memberships.
      this.directoryReads.clear();
    }
  }

  private async applyGraceElapsed(event: EventEnvelope<{ requestId: string }>): Promise<void> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      if (!(await claimInboxEvent(manager, 'intake', this.consumerName, event.eventId))) {
        return 'duplicate';
      }
      const result = await this.requests.endGracePeriod(manager, event.payload.requestId);
      if (result === 'grace-not-ended') {
        // The scheduler's clock ran ahead of the database's; roll back the inbox row and let the consumer retry.
        throw new Error(`request ${event.payload.requestId}: grace.elapsed arrived before the grace period ended by the database clock`);
      }
      return result;
    });
    this.logger.log(`request ${event.payload.requestId}: grace period ended -> ${outcome}`);
  }

}
