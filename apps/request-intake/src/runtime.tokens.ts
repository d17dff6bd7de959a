export const INTAKE_DATA_SOURCE = Symbol('INTAKE_DATA_SOURCE');
export const INTAKE_OUTBOX = Symbol('INTAKE_OUTBOX');
export const INTAKE_RUNTIME = Symbol('INTAKE_RUNTIME');
