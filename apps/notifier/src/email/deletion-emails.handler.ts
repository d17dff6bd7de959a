import { DeletionKind, EventEnvelope, PurgeScope, deadlineAtRiskV1, deletionCancelledV1, deletionCompletedV1, deletionRequestedV1 } from '@deletion/contracts';
import { EventConsumer } from '@deletion/kafka';
import { claimInboxEvent } from '@deletion/persistence';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EmailContent, RequestFacts, deadlineAtRiskEmail, suppressionChangedEmail, deletionCancelledEmail, deletionFinishedEmail, deletionRequestedEmail } from './email-templates';
import { Mailer } from './mailer';

interface StoredRecipients {
  workspace_slug: string;
  kind: DeletionKind;
  scope: PurgeScope;
  recipients: Array<{ accountId: string; email: string }>;
}

/**
 * Emails the workspace's admins when a deletion is requested, cancelled and
 * finished. The admins are those at request time, stored from
 * `deletion.requested`. Each (request, notification) is sent once: the
 * notification row and the inbox row commit only after SMTP accepted the
 * message, so a failed send is retried and a redelivered event is skipped.
 */
export class DeletionEmailsHandler {
  private readonly logger = new Logger(DeletionEmailsHandler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly mailer: Mailer,
    private readonly consumerName: string,
    private readonly apiUrl: string,
    private readonly operatorEmails: string[],
  ) {}

  register(consumer: EventConsumer): void {
    consumer
      .on(deletionRequestedV1, (event) =>
        this.once(event, async (manager) => {
          const request = event.payload;
          await manager.query(
            `INSERT INTO notifier.request_recipients (request_id, workspace_id, workspace_slug, kind, scope, recipients)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING`,
            [
              request.requestId,
              request.workspaceId,
              request.workspaceSlug,
              request.kind,
              JSON.stringify(request.scope),
              JSON.stringify(request.recipients),
            ],
          );
          const facts: RequestFacts = {
            requestId: request.requestId,
            workspaceSlug: request.workspaceSlug,
            apiUrl: this.apiUrl,
            kind: request.kind,
            scope: request.scope,
          };
          const content =
            request.regulation === 'suppress' || request.regulation === 'unsuppress'
              ? suppressionChangedEmail({ ...facts, regulation: request.regulation })
              : deletionRequestedEmail({ ...facts, graceEndsAt: request.graceEndsAt, deadline: request.deadline });
          await this.notify(manager, request.requestId, 'requested', adminAddresses(request.recipients), content);
        }),
      )
      .on(deletionCancelledV1, (event) =>
        this.once(event, async (manager) => {
          const stored = await this.findRecipients(manager, event.payload.requestId);
          const content = deletionCancelledEmail(this.facts(event.payload.requestId, stored));
          await this.notify(manager, event.payload.requestId, 'cancelled', adminAddresses(stored.recipients), content);
        }),
      )
      .on(deletionCompletedV1, (event) =>
        this.once(event, async (manager) => {
          const { requestId, outcome, receipt } = event.payload;
          const stored = await this.findRecipients(manager, requestId);
          const content = deletionFinishedEmail({ ...this.facts(requestId, stored), outcome, receipt });
          await this.notify(manager, requestId, outcome, adminAddresses(stored.recipients), content);
        }),
      )
      .on(deadlineAtRiskV1, (event) =>
        this.once(event, async (manager) => {
          const alert = event.payload;
          if (this.operatorEmails.length === 0) {
            this.logger.warn(`request ${alert.requestId}: deadline ${alert.deadline} at risk, but no email was sent because OPERATOR_EMAILS is empty`);
          }
          await this.notify(manager, alert.requestId, 'deadline-at-risk', this.operatorEmails, deadlineAtRiskEmail({ ...alert, apiUrl: this.apiUrl }));
        }),
      );
  }

  private async once(event: EventEnvelope<unknown>, apply: (manager: EntityManager) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (await claimInboxEvent(manager, 'notifier', this.consumerName, event.eventId)) {
        await apply(manager);
      }
    });
  }

  private facts(requestId: string, stored: StoredRecipients): RequestFacts {
    return { requestId, workspaceSlug: stored.workspace_slug, apiUrl: this.apiUrl, kind: stored.kind, scope: stored.scope };
  }

  private async findRecipients(manager: EntityManager, requestId: string): Promise<StoredRecipients> {
    const rows: StoredRecipients[] = await manager.query(
      'SELECT workspace_slug, kind, scope, recipients FROM notifier.request_recipients WHERE request_id = $1',
      [requestId],
    );
    if (!rows[0]) {
      // The request event travels on another topic and may still be on its way; retry until it has arrived.
      throw new Error(`request ${requestId}: recipients are not known yet`);
    }
    return rows[0];
  }

  /** Sends one notification of a request once: the notification row commits with the inbox row, after SMTP accepted the message. */
  private async notify(manager: EntityManager, requestId: string, notification: string, recipients: string[], content: EmailContent): Promise<void> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO notifier.notifications (request_id, notification, recipients) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING request_id`,
      [requestId, notification, recipients.length],
    );
    if (inserted.length === 0) {
      this.logger.log(`request ${requestId}: "${notification}" email was already sent; skipped`);
      return;
    }
    if (recipients.length === 0) {
      this.logger.warn(`request ${requestId}: no recipient for "${notification}"`);
      return;
    }
    await this.mailer.send(recipients, content);
    this.logger.log(`request ${requestId}: "${notification}" email sent to ${recipients.length} recipient(s)`);
  }

}

function adminAddresses(recipients: StoredRecipients['recipients']): string[] {
  return recipients.map((recipient) => recipient.email);
}
