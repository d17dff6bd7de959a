import 'reflect-metadata';
import { runService } from '@deletion/service-runtime';
import { loadSchedulerConfig } from './scheduler.config';
import { startScheduler } from './scheduler.app';

void runService('grace-scheduler', () => startScheduler(loadSchedulerConfig()));
