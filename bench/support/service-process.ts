import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './bench-environment';

const ROOT = join(__dirname, '..', '..');
const LOG_DIR = join(ROOT, '.tmp', 'bench-logs');

export interface ServiceProcess {
  name: string;
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a service from its entry point in a Node.js process of its own, as
 * it runs when deployed, and waits until `ready` returns true. Its output goes
 * to .tmp/bench-logs/NAME.log.
 */
export async function startServiceProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
): Promise<ServiceProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  // The service writes its log to the file itself, as a deployed one would: piped through the
  // benchmark process, every line cost a second process a wake-up on the cores being measured.
  const log = openSync(join(LOG_DIR, `${name}.log`), 'w');
  // BENCH_SERVICE_NODE_FLAGS, such as --cpu-prof, go to each service process.
  const flags = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...flags, '-r', '@swc-node/register', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  await until(
    async () => {
      if (exitCode !== undefined) {
        throw new Error(`${name} exited with status ${exitCode} while starting; see .tmp/bench-logs/${name}.log`);
      }
      return ready().catch(() => false);
    },
    120_000,
    `${name} to start`,
    200,
  );
  return {
    name,
    async stop() {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
