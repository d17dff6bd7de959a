import { Kafka } from 'kafkajs';

/** Total lag of a consumer group on some topics: messages published but not yet committed by the group. */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const groupTopic = committed.find((entry) => entry.topic === topic);
      for (const end of ends) {
        const partition = groupTopic?.partitions.find((entry) => entry.partition === end.partition);
        const committedOffset = partition && partition.offset !== '-1' ? Number(partition.offset) : Number(end.low);
        lag += Number(end.high) - committedOffset;
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
