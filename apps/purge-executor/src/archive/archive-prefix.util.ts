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
