const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Formats the UTC day of an instant as `YYYY-MM-DD`, the name of its folder in the archive. */
export function archiveDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Builds the key of one archive object: `<workspaceId>/<sourceId>/<YYYY-MM-DD>/<name>`. */
export function archiveObjectKey(workspaceId: string, sourceId: string, day: string, name: string): string {
  if (!DAY_PATTERN.test(day)) {
    throw new Error(`invalid archive day "${day}": use YYYY-MM-DD`);
  }
  for (const [label, part] of [
    ['workspace id', workspaceId],
    ['source id', sourceId],
    ['object name', name],
  ]) {
    if (part.length === 0 || part.includes('/')) {
      throw new Error(`invalid ${label} "${part}" in an archive key: it must be non-empty and contain no "/"`);
    }
  }
  return `${workspaceId}/${sourceId}/${day}/${name}`;
}
