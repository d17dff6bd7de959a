import { CreateSchedulerTables1733300100000 } from './1733300100000-create-scheduler-tables';
import { PublishTimersFromTheirRows1733300200000 } from './1733300200000-publish-timers-from-their-rows';

/** The scheduler's migrations in the order they run. */
export const SCHEDULER_MIGRATIONS = [CreateSchedulerTables1733300100000, PublishTimersFromTheirRows1733300200000];
