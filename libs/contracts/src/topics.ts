/**
 * Every Kafka topic the platform produces or consumes. No other file names a
 * topic. Services get the physical name from `topicName`, which adds the
 * deployment's prefix, so test runs can share one broker.
 */
export const TOPICS = {
  deletionRequested: 'deletion.requested',
  deletionCancelled: 'deletion.cancelled',
  graceElapsed: 'grace.elapsed',
  purgeDue: 'purge.due',
  purgeStarted: 'purge.started',
  purgeProgress: 'purge.progress',
  purgeCompleted: 'purge.completed',
  deletionCompleted: 'deletion.completed',
  deadlineAtRisk: 'deletion.deadline-at-risk',
  purgeRetryRequested: 'purge.retry-requested',
  suppressionChanged: 'suppression.changed',
  platformWorkspaces: 'platform.workspaces',
  platformSources: 'platform.sources',
  platformAccounts: 'platform.accounts',
  platformMemberships: 'platform.memberships',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type Topic = (typeof TOPICS)[TopicKey];

export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);

/** Partitions of each platform topic; events of one workspace share a partition because they are keyed by its id. */
export const DEFAULT_TOPIC_PARTITIONS = 3;

export function topicName(prefix: string, topic: string): string {
  return `${prefix}${topic}`;
}

/** Returns the dead-letter topic of one consumer group, where that consumer parks messages it can never process. */
export function deadLetterTopic(groupId: string): string {
  return `${groupId}.dlt`;
}
