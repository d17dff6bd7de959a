import { CreateIntakeTables1733300000000 } from './1733300000000-create-intake-tables';
import { AddIdempotencyKeys1733300000001 } from './1733300000001-add-idempotency-keys';

export const INTAKE_MIGRATIONS = [CreateIntakeTables1733300000000, AddIdempotencyKeys1733300000001];
