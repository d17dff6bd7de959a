import { EventPublisher, ensureTopics } from '@deletion/kafka';
import { TestEnvironment, findAccount, findWorkspace, publishDirectory, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Consumer, Producer } from 'kafkajs';
import { Client } from 'pg';
import { BenchOptions, createBenchEnvironment, until } from './support/bench-environment';
import { Benchmark, Measurement } from './support/harness';
import { ServiceProcess, startServiceProcess } from './support/service-process';

/** Kafka hops from request to completion: purge.due to the area, purge.completed to the tracker, deletion.completed to intake. */
const HOPS = 3;
const CONCURRENCY = 10;
/** The requests alternate between these workspaces; the platform keys its events by workspace, and the baseline keys its messages the same way. */
const WORKSPACES = ['acme', 'acme-eu'];
/** HTTP ports of the service processes, in the benchmark's port range below Linux's ephemeral ports. */
const INTAKE_PORT = 28310;
const EXECUTOR_PORT = 28311;

/**
 * P7: end-user deletion requests per second from the HTTP API to
 * `completed`, with one product area that deletes nothing. request-intake,
 * purge-executor and the area run in processes of their own, as deployed. The baseline is
 * bare kafkajs passing the same number of messages over the same number of
 * hops, with a consumer per hop that produces to the next topic, keyed by
 * the same workspace ids.
 */
export function endToEndBenchmark(options: BenchOptions): Benchmark {
  const requests = options.full ? 2_000 : 300;
  let env: TestEnvironment;
  const services: ServiceProcess[] = [];
  let monitor: Client;
  /** Keep-alive connections for the load: fetch used about 1 ms of CPU per request on the cores being measured. */
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  /** Returns which of the requests are not completed yet, by primary key: a count over the whole table read every row at each poll. */
  const stillOpen = async (ids: string[]) =>
    ids.length === 0
      ? []
      : (await monitor.query<{ id: string }>(`SELECT id FROM intake.deletion_requests WHERE id = ANY($1::uuid[]) AND status <> 'completed'`, [ids])).rows.map(
          (row) => row.id,
        );
  let token: string;
  let workspaceIds: string[];

  return {
    id: 'P7',
    title: `end to end: ${requests} requests from intake to completed, no-op area`,
    unit: 'requests/s',
    baselineName: `bare kafkajs produce and consume over ${HOPS} hops`,
    targetText: '≥ 0.25',
    warmUp: true,
    async setup() {
      env = await createBenchEnvironment();
      const admin = env.kafka.admin();
      await admin.connect();
      // Ready once its consumer group has settled with a member.
      const consuming = (group: string) => async () => {
        const { groups } = await admin.describeGroups([`${env.topicPrefix}${group}`]);
        return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
      };
      const config = env.env({ PURGE_AREAS: 'noop', AREA_POLL_INTERVAL: '20ms', DATABASE_POOL_SIZE: '10', AREA_CONCURRENCY: '8' });
      try {
        services.push(await startServiceProcess('request-intake', 'apps/request-intake/src/main.ts', { ...config, HTTP_PORT: String(INTAKE_PORT) }, consuming('request-intake')));
        services.push(await startServiceProcess('purge-executor', 'apps/purge-executor/src/main.ts', { ...config, HTTP_PORT: String(EXECUTOR_PORT) }, consuming('purge-executor')));
        services.push(await startServiceProcess('noop-area', 'bench/support/noop-area.main.ts', config, consuming('area.noop')));
      } finally {
        await admin.disconnect();
      }
      const fixture = standardDirectory();
      const publisher = new EventPublisher(env.kafka, env.topicPrefix);
      await publishDirectory(publisher, fixture);
      await publisher.disconnect();
      await waitFor(async () => (await env.query('SELECT 1 FROM intake.memberships')).length >= 4, { description: 'the directory', timeoutMs: 60_000 });
      token = signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id);
      monitor = new Client({ connectionString: env.databaseUrl });
      await monitor.connect();
      workspaceIds = WORKSPACES.map((slug) => findWorkspace(fixture, slug).id);
    },
    async baseline(run): Promise<Measurement> {
      const topics = Array.from({ length: HOPS + 1 }, (_, hop) => `${env.topicPrefix}bench.hop.${run}.${hop}`);
      await ensureTopics(env.kafka, topics);
      const producer: Producer = env.kafka.producer();
      await producer.connect();
      const consumers: Consumer[] = [];
      let received = 0;
      for (let hop = 0; hop <= HOPS; hop += 1) {
        const consumer = env.kafka.consumer({ groupId: `bench-hop-${randomUUID()}`, maxWaitTimeInMs: 50 });
        await consumer.connect();
        await consumer.subscribe({ topics: [topics[hop]], fromBeginning: true });
        await consumer.run({
          partitionsConsumedConcurrently: 3,
          eachMessage: async ({ message }) => {
            if (hop === HOPS) {
              received += 1;
              return;
            }
            await producer.send({ topic: topics[hop + 1], acks: -1, messages: [{ key: message.key, value: message.value }] });
          },
        });
        consumers.push(consumer);
      }
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests) {
            const index = next++;
            await producer.send({ topic: topics[0], acks: -1, messages: [{ key: workspaceIds[index % WORKSPACES.length], value: JSON.stringify({ index }) }] });
          }
        }),
      );
      await until(async () => received >= requests, 300_000, 'every message over every hop', 5);
      const seconds = (performance.now() - started) / 1_000;
      await Promise.all(consumers.map((consumer) => consumer.disconnect()));
      await producer.disconnect();
      return { rate: requests / seconds };
    },
    async platform(): Promise<Measurement> {
      const started = performance.now();
      let next = 0;
      /** Requests accepted and not yet seen completed. */
      let open: string[] = [];
      let completed = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests) {
            const index = next++;
            const body = JSON.stringify({ kind: 'user', workspace: WORKSPACES[index % WORKSPACES.length], regulation: 'delete', subjectType: 'userId', subjects: [`user-${index}`] });
            const response = await postJson(agent, INTAKE_PORT, '/v1/deletion-requests', token, body);
            if (response.status !== 202) {
              throw new Error(`request ${index} failed with status ${response.status}: ${response.body}`);
            }
            open.push((JSON.parse(response.body) as { id: string }).id);
          }
        }),
      );
      // One open connection, polled every 50 ms: a new connection per poll forked a PostgreSQL backend each time on the cores being measured.
      await until(
        async () => {
          const checking = open;
          open = [];
          const waiting = await stillOpen(checking);
          open.push(...waiting);
          completed += checking.length - waiting.length;
          return completed >= requests;
        },
        600_000,
        'every request to complete',
        50,
      );
      return { rate: requests / ((performance.now() - started) / 1_000) };
    },
    check(summary) {
      return summary.ratio < 0.25 ? [`ratio ${summary.ratio.toFixed(2)} < 0.25`] : [];
    },
    async teardown() {
      agent.destroy();
      await monitor?.end();
      for (const service of services.reverse()) {
        await service.stop();
      }
      await env?.dispose();
    },
  };
}

/** Sends a JSON POST over a keep-alive agent and reads the whole response. */
function postJson(agent: Agent, port: number, path: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
