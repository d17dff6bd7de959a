import {
  EventEnvelope,
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
      // One statement each, with the inbox row: these events come for every request and area.
      .on(purgeStartedV1, (event) =>
        this.repository.markPurgeStartedOnce(this.consumerName, event.eventId, event.payload.requestId, event.payload.areas),
      )
      .on(purgeProgressV1, (event) =>
        this.repository.upsertAreaOnce(this.consumerName, event.eventId, event.payload.requestId, event.payload.area, {
          status: event.payload.status === 'running' ? 'running' : 'pending',
          attempts: event.payload.attempt,
          error: event.payload.error,
          nextAttemptAt: event.payload.nextAttemptAt,
        }),
      )
      .on(purgeCompletedV1, (event) =>
        this.repository.upsertAreaOnce(this.consumerName, event.eventId, event.payload.requestId, event.payload.area, {
          status: event.payload.status,
          attempts: event.payload.attempt,
          counts: event.payload.counts,
          error: event.payload.error,
          nextAttemptAt: null,
        }),
      )
      .on(deletionCompletedV1, async (event) => {
        const { requestId, outcome, receipt, completedAt } = event.payload;
        const { accountDeletionWaiting } = await this.repository.markFinishedOnce(this.consumerName, event.eventId, requestId, outcome, completedAt, receipt);
        // The check runs on duplicates too, so a crash right after the statement above cannot leave an account deletion pending.
        if (outcome === 'completed' && accountDeletionWaiting) {
          await this.dataSource.transaction((manager) => completeAccountDeletions(manager, requestId));
          // A completed account deletion removed an account and its memberships.
          this.directoryReads.clear();
        }
      });
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
