import 'reflect-metadata';
import { runService } from '@deletion/service-runtime';
import { loadNotifierConfig } from './notifier.config';
import { startNotifier } from './notifier.app';

void runService('notifier', () => startNotifier(loadNotifierConfig()));
