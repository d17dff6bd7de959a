import { ALL_TOPICS, DEFAULT_TOPIC_PARTITIONS, deadLetterTopic, topicName } from '@deletion/contracts';
import { Admin, Kafka } from 'kafkajs';

const LEADER_WAIT_MS = 30_000;

/**
 * Creates topics that do not exist yet and waits until every partition has
 * a leader. Brokers run with topic auto-creation off, because kafkajs fails
 * to subscribe to a topic that the broker is still creating. kafkajs 2.2.4's
 * own `waitForLeaders` fails on a KRaft broker that returns "does not host
 * this topic-partition" for a moment after creation, so the wait is done
 * here, retrying that error.
 */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions = DEFAULT_TOPIC_PARTITIONS): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) {
      return;
    }
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
      });
    } catch (error) {
      // Another service created the same topic between our list and create.
      if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') {
        throw error;
      }
    }
    await waitForLeaders(admin, missing);
  } finally {
    await admin.disconnect();
  }
}

async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  let lastProblem = '';
  while (Date.now() < deadline) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const leaderless = metadata.topics.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0));
      if (leaderless.length === 0) {
        return;
      }
      lastProblem = `no leader yet for ${leaderless.map((topic) => topic.name).join(', ')}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.join(', ')} have no partition leaders after ${LEADER_WAIT_MS} ms (${lastProblem}); check the Kafka broker`);
}

/** Names of every platform topic and the dead-letter topics of the given consumer groups, with the prefix applied. */
export function platformTopicNames(prefix: string, consumerGroups: string[] = []): string[] {
  return [
    ...ALL_TOPICS.map((topic) => topicName(prefix, topic)),
    ...consumerGroups.map((group) => deadLetterTopic(group)),
  ];
}
