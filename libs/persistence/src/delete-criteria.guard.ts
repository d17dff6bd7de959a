/**
 * Rejects delete criteria that would match every row. ORMs turn an empty
 * criteria object, an empty array, or criteria whose values are all
 * `undefined` into a DELETE without a WHERE clause. In a deletion product
 * that empties a table of every tenant. Every delete in the platform passes
 * its criteria through this guard first.
 */
export function assertDeleteCriteria(criteria: unknown, what: string): void {
  if (criteria === null || criteria === undefined) {
    throw new UnboundedDeleteError(what, 'criteria are missing');
  }
  if (Array.isArray(criteria)) {
    if (criteria.length === 0) {
      throw new UnboundedDeleteError(what, 'the list of ids is empty');
    }
    criteria.forEach((item, index) => assertValuePresent(item, `${what}[${index}]`));
    return;
  }
  if (typeof criteria !== 'object') {
    assertValuePresent(criteria, what);
    return;
  }

  const entries = Object.entries(criteria as Record<string, unknown>);
  if (entries.length === 0) {
    throw new UnboundedDeleteError(what, 'the criteria object has no fields');
  }
  for (const [field, value] of entries) {
    if (Array.isArray(value) && value.length === 0) {
      throw new UnboundedDeleteError(what, `field "${field}" is an empty list`);
    }
    assertValuePresent(value, `${what}.${field}`);
  }
}

function assertValuePresent(value: unknown, path: string): void {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw new UnboundedDeleteError(path, 'the value is missing or blank');
  }
}

export class UnboundedDeleteError extends Error {
  constructor(
    readonly criteriaPath: string,
    reason: string,
  ) {
    super(`refusing a delete without a bound on ${criteriaPath}: ${reason}`);
  }
}
