import { CreateIntakeTables1733300000000 } from './1733300000000-create-intake-tables';

export const INTAKE_MIGRATIONS = [CreateIntakeTables1733300000000];
