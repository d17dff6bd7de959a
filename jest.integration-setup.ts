import { LogLevel, Logger } from '@nestjs/common';

// Integration and end-to-end specs start real services and wait for real purges.
jest.setTimeout(120_000);

// Services log every step at "log" level; tests show warnings and errors unless TEST_LOG_LEVELS lists more levels.
Logger.overrideLogger((process.env.TEST_LOG_LEVELS ?? 'error,warn').split(',') as LogLevel[]);
