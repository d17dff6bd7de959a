import { EventPublisher } from '@deletion/kafka';
import { TestEnvironment, findAccount, publishDirectory, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { Body, Controller, HttpCode, INestApplication, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import { RunningIntake, startIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { BenchOptions, createBenchEnvironment } from './support/bench-environment';
import { Benchmark, Measurement } from './support/harness';

@Controller()
class BareController {
  @Post('bare')
  @HttpCode(202)
  accept(@Body() body: unknown): { accepted: boolean; body: unknown } {
    return { accepted: true, body };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const BODY = JSON.stringify({ kind: 'user', workspace: 'acme', regulation: 'delete', subjectType: 'userId', subjects: ['user-1', 'user-2'] });

/**
 * P5: accepted deletion requests per second through request-intake (token
 * check, validation, Idempotency-Key, the request, its audit entry and its
 * events in one transaction) against a bare route on the same NestJS
 * adapter (Express) that returns 202. Load comes from autocannon in the same
 * process, which costs both sides alike. To choose the adapter by
 * measurement, each baseline run also measures the same bare route on
 * Fastify.
 */
export function intakeBenchmark(options: BenchOptions): Benchmark {
  const seconds = options.full ? 15 : 5;
  const connections = 16;
  let env: TestEnvironment;
  let intake: RunningIntake;
  let bare: INestApplication;
  let bareUrl: string;
  let fastify: INestApplication;
  let fastifyUrl: string;
  let token: string;

  const load = async (url: string): Promise<Measurement> => {
    const result = await autocannon({
      url,
      method: 'POST',
      connections,
      duration: seconds,
      idReplacement: true,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': 'bench-[<id>]' },
      body: BODY,
    });
    const accepted = result['2xx'];
    return { rate: accepted / seconds, extra: { 'latency p99 ms': result.latency.p99, 'non-2xx': result.non2xx + result.errors } };
  };

  return {
    id: 'P5',
    title: `intake: accepted end-user deletion requests (${connections} connections, ${seconds} s)`,
    unit: 'requests/s',
    baselineName: 'bare NestJS route on Express returning 202',
    targetText: '≥ 0.3',
    warmUp: true,
    async setup() {
      env = await createBenchEnvironment();
      const fixture = standardDirectory();
      intake = await startIntake(loadIntakeConfig(env.env({ DATABASE_POOL_SIZE: process.env.P5_POOL ?? '10' })));
      const publisher = new EventPublisher(env.kafka, env.topicPrefix);
      await publishDirectory(publisher, fixture);
      await publisher.disconnect();
      await waitFor(async () => (await env.query('SELECT 1 FROM intake.memberships')).length >= 4, { description: 'the directory', timeoutMs: 60_000 });
      token = signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id);
      bare = await NestFactory.create(BareModule, { logger: false });
      await bare.listen(0, '127.0.0.1');
      bareUrl = `${(await bare.getUrl()).replace('[::1]', '127.0.0.1')}/bare`;
      fastify = await NestFactory.create(BareModule, new FastifyAdapter(), { logger: false });
      await fastify.listen(0, '127.0.0.1');
      fastifyUrl = `${(await fastify.getUrl()).replace('[::1]', '127.0.0.1')}/bare`;
    },
    async baseline(): Promise<Measurement> {
      const express = await load(bareUrl);
      const onFastify = await load(fastifyUrl);
      return { rate: express.rate, extra: { ...express.extra, 'bare route on Fastify, requests/s': onFastify.rate } };
    },
    platform: () => load(`${intake.url}/v1/deletion-requests`),
    check(summary) {
      const failures: string[] = [];
      if (summary.ratio < 0.3) {
        failures.push(`ratio ${summary.ratio.toFixed(2)} < 0.3`);
      }
      if ((summary.extra['non-2xx']?.max ?? 0) > 0) {
        failures.push(`${summary.extra['non-2xx'].max} requests were not accepted`);
      }
      return failures;
    },
    async teardown() {
      await bare?.close();
      await fastify?.close();
      await intake?.close();
      await env?.dispose();
    },
  };
}
