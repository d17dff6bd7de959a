import { TOPICS } from '@deletion/contracts';
import { EventPublisher } from '@deletion/kafka';
import { TestEnvironment, TopicRecorder, findAccount, publishDirectory, signDevelopmentToken, standardDirectory, waitFor } from '@deletion/testing';
import { startNotifier, RunningNotifier } from '../apps/notifier/src/notifier.app';
import { loadNotifierConfig } from '../apps/notifier/src/notifier.config';
import { startIntake, RunningIntake } from '../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../apps/request-intake/src/intake.config';
import { ApiClient } from './support/api-client';
import { consumerGroupLag } from './support/consumer-lag';
import { waitForDirectory } from './support/directory-ready';

/** A request still open inside the alert window before its deadline raises one alert: an event, an operator email and a metric. */
describe('deadline alerts', () => {
  const env = new TestEnvironment();
  const fixture = standardDirectory();
  let intake: RunningIntake;
  let notifier: RunningNotifier;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    await env.start();
    const config = env.env({
      GRACE_PERIOD: '10m',
      PURGE_DEADLINE: '1h',
      DEADLINE_ALERT_BEFORE: '2h',
      DEADLINE_CHECK_INTERVAL: '200ms',
      OPERATOR_EMAILS: 'ops@platform.test,oncall@platform.test',
    });
    intake = await startIntake(loadIntakeConfig(config));
    notifier = await startNotifier(loadNotifierConfig(config));
    recorder = TopicRecorder.forLogicalTopics(env.kafka, env.topicPrefix, [TOPICS.deadlineAtRisk]);
    await recorder.start();
    const publisher = new EventPublisher(env.kafka, env.topicPrefix);
    await publishDirectory(publisher, fixture);
    await publisher.disconnect();
    await waitForDirectory(env, fixture);
  });

  afterAll(async () => {
    await recorder?.stop();
    await Promise.allSettled([intake?.close(), notifier?.close()]);
    await env.dispose();
  });

  it('alerts the operators once', async () => {
    const ada = new ApiClient(intake.url, signDevelopmentToken(env.jwtSecret, findAccount(fixture, 'ada@acme.test').id));
    const created = await ada.post('/v1/deletion-requests', { kind: 'workspace', workspace: 'acme' });
    expect(created.status).toBe(202);

    const mail = await waitFor(() => env.smtp.to('oncall@platform.test').find((message) => message.subject.includes(created.body.id)), {
      description: 'the deadline alert email',
    });
    expect(mail.to.sort()).toEqual(['oncall@platform.test', 'ops@platform.test']);
    expect(mail.text).toContain(created.body.deadline);

    // Several more checks run; none raises a second alert.
    await waitFor(async () => (await consumerGroupLag(env.kafka, notifier.runtime.groupId(), [`${env.topicPrefix}${TOPICS.deadlineAtRisk}`])) === 0, {
      description: 'the notifier to consume every alert',
    });
    const checksBefore = Date.now();
    await waitFor(() => Date.now() - checksBefore > 1_000, { description: 'five more deadline checks' });
    expect(recorder.ofType('deletion.deadline-at-risk', created.body.id)).toHaveLength(1);
    expect(env.smtp.to('ops@platform.test').filter((message) => message.subject.includes('deadline'))).toHaveLength(1);
  });

  it('counts the request in the at-risk gauge', async () => {
    const metrics = await (await fetch(`${intake.url}/metrics`)).text();
    expect(metrics).toMatch(/^deletion_requests_at_risk\{service="request-intake"\} 1$/m);
  });
});
