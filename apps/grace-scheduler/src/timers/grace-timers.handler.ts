import { deletionCancelledV1, deletionRequestedV1 } from '@deletion/contracts';
import { EventConsumer } from '@deletion/kafka';
import { claimInboxEvent } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Keeps one durable timer per request with a grace period. A cancel that
 * arrives before its request (the two travel on different topics) is stored
 * as a cancelled timer, so the late request never arms it.
 */
export class GraceTimersHandler {
  private readonly logger = new Logger(GraceTimersHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumerName: string,
  ) {}

  register(consumer: EventConsumer): void {
    consumer
      .on(deletionRequestedV1, async (event) => {
        const { requestId, workspaceId, graceEndsAt } = event.payload;
        if (graceEndsAt === null) {
          return;
        }
        await this.dataSource.transaction(async (manager) => {
          if (!(await claimInboxEvent(manager, 'scheduler', this.consumerName, event.eventId))) {
            return;
          }
          await manager.query(
            `INSERT INTO scheduler.grace_timers (request_id, workspace_id, grace_ends_at, state)
             VALUES ($1, $2, $3, 'pending')
             ON CONFLICT (request_id) DO UPDATE SET grace_ends_at = EXCLUDED.grace_ends_at
               WHERE scheduler.grace_timers.grace_ends_at IS NULL`,
            [requestId, workspaceId, graceEndsAt],
          );
        });
        this.logger.log(`request ${requestId}: grace timer set for ${graceEndsAt}`);
      })
      .on(deletionCancelledV1, async (event) => {
        const { requestId, workspaceId } = event.payload;
        await this.dataSource.transaction(async (manager) => {
          if (!(await claimInboxEvent(manager, 'scheduler', this.consumerName, event.eventId))) {
            return;
          }
          await manager.query(
            `INSERT INTO scheduler.grace_timers (request_id, workspace_id, state, cancelled_at)
             VALUES ($1, $2, 'cancelled', now())
             ON CONFLICT (request_id) DO UPDATE SET state = 'cancelled', cancelled_at = now()
               WHERE scheduler.grace_timers.state = 'pending'`,
            [requestId, workspaceId],
          );
        });
        this.logger.log(`request ${requestId}: grace timer cancelled`);
      });
  }
}
