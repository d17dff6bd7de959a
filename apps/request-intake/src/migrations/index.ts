import { CreateIntakeTables1733300000000 } from './1733300000000-create-intake-tables';
import { AddIdempotencyKeys1733300000001 } from './1733300000001-add-idempotency-keys';
import { AddSuppressionsAndAccounts1733300000002 } from './1733300000002-add-suppressions-and-accounts';
import { AddDeadlineAlerts1733300000003 } from './1733300000003-add-deadline-alerts';

export const INTAKE_MIGRATIONS = [
  CreateIntakeTables1733300000000,
  AddIdempotencyKeys1733300000001,
  AddSuppressionsAndAccounts1733300000002,
  AddDeadlineAlerts1733300000003,
];
