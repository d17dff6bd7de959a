import 'reflect-metadata';
import { runService } from '@deletion/service-runtime';
import { loadIntakeConfig } from './intake.config';
import { startIntake } from './intake.app';

void runService('request-intake', () => startIntake(loadIntakeConfig()));
