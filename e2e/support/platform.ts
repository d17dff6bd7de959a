import { startScheduler, RunningScheduler } from '../../apps/grace-scheduler/src/scheduler.app';
import { loadSchedulerConfig } from '../../apps/grace-scheduler/src/scheduler.config';
import { startNotifier, RunningNotifier } from '../../apps/notifier/src/notifier.app';
import { loadNotifierConfig } from '../../apps/notifier/src/notifier.config';
import { startExecutor, RunningExecutor } from '../../apps/purge-executor/src/executor.app';
import { loadExecutorConfig } from '../../apps/purge-executor/src/executor.config';
import { startIntake, RunningIntake } from '../../apps/request-intake/src/intake.app';
import { loadIntakeConfig } from '../../apps/request-intake/src/intake.config';
import { audiencesArea } from '../../apps/audiences-area/src/audiences.area';
import { CreateAudiencesTables1733300500000 } from '../../apps/audiences-area/src/create-audiences-tables.migration';
import { profilesArea } from '../../apps/profiles-area/src/profiles.area';
import { CreateProfilesTables1733300400000 } from '../../apps/profiles-area/src/create-profiles-tables.migration';
import { loadConfig } from '@deletion/config';
import { RunningProductArea, productAreaConfigSchema, startProductArea } from '@deletion/product-area-sdk';

export interface RunningPlatform {
  intake: RunningIntake;
  scheduler: RunningScheduler;
  executor: RunningExecutor;
  notifier: RunningNotifier;
  profiles: RunningProductArea;
  audiences: RunningProductArea;
  stop(): Promise<void>;
}

export function startProfilesArea(env: Record<string, string>): Promise<RunningProductArea> {
  return startProductArea({
    area: profilesArea,
    schema: 'area_profiles',
    migrations: [CreateProfilesTables1733300400000],
    config: loadConfig(productAreaConfigSchema, env),
  });
}

export function startAudiencesArea(env: Record<string, string>): Promise<RunningProductArea> {
  return startProductArea({
    area: audiencesArea,
    schema: 'area_audiences',
    migrations: [CreateAudiencesTables1733300500000],
    config: loadConfig(productAreaConfigSchema, env),
  });
}

/** Starts the four services and two product areas in this process, each with its own configuration from `env`. */
export async function startPlatform(env: Record<string, string>): Promise<RunningPlatform> {
  // Started one after another: the first migrates its schema while the database is created once.
  const intake = await startIntake(loadIntakeConfig(env));
  const [scheduler, executor, notifier, profiles, audiences] = await Promise.all([
    startScheduler(loadSchedulerConfig(env)),
    startExecutor(loadExecutorConfig(env)),
    startNotifier(loadNotifierConfig(env)),
    startProfilesArea(env),
    startAudiencesArea(env),
  ]);
  return {
    intake,
    scheduler,
    executor,
    notifier,
    profiles,
    audiences,
    async stop() {
      await Promise.allSettled([intake.close(), scheduler.close(), executor.close(), notifier.close(), profiles.close(), audiences.close()]);
    },
  };
}
