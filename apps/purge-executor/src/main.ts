import 'reflect-metadata';
import { runService } from '@deletion/service-runtime';
import { loadExecutorConfig } from './executor.config';
import { startExecutor } from './executor.app';

void runService('purge-executor', () => startExecutor(loadExecutorConfig()));
