const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Returns the archive prefix of one workspace: `<workspaceId>/`. The trailing
 * slash keeps `ws-1` from matching `ws-10/` or `ws-1-old/`. The id must be a
 * lowercase UUID, so an empty or partial id never becomes a wider prefix.
 */
export function workspaceArchivePrefix(workspaceId: string): string {
  if (!UUID_PATTERN.test(workspaceId)) {
    throw new Error(`refusing an archive prefix for workspace id "${workspaceId}": it must be a lowercase UUID`);
  }
  return `${workspaceId}/`;
}

/** Returns the prefix of one source's folder for one UTC day: `<workspaceId>/<sourceId>/<YYYY-MM-DD>/`. */
export function sourceDayPrefix(workspaceId: string, sourceId: string, day: string): string {
  if (!UUID_PATTERN.test(sourceId)) {
    throw new Error(`refusing an archive prefix for source id "${sourceId}": it must be a lowercase UUID`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new Error(`refusing an archive prefix for day "${day}": it must be YYYY-MM-DD`);
  }
  return `${workspaceArchivePrefix(workspaceId)}${sourceId}/${day}/`;
}
