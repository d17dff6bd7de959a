import { Logger } from '@nestjs/common';
import { logLevelsFrom } from './log-levels';

/**
 * Runs a service from its `main.ts`: applies LOG_LEVEL, starts the service,
 * and on SIGINT or SIGTERM closes it in order (consumers, HTTP, relay,
 * database). A start-up failure is logged with its cause and exits with status 1.
 */
export async function runService(name: string, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  const logger = new Logger(name);
  let service: { close(): Promise<void> };
  try {
    Logger.overrideLogger(logLevelsFrom(process.env.LOG_LEVEL));
    service = await start();
  } catch (error) {
    logger.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.log(`${signal} received; stopping`);
    try {
      await service.close();
      process.exit(0);
    } catch (error) {
      logger.error(`stopping failed: ${String(error)}`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
