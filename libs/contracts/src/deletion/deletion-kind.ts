import { z } from 'zod';

/** Kinds of deletion request. Kinds without a grace period go straight to `due`. */
export const DELETION_KINDS = ['workspace', 'account', 'user', 'source', 'purge', 'legacy_archive_purge'] as const;
export const deletionKindSchema = z.enum(DELETION_KINDS);
export type DeletionKind = z.infer<typeof deletionKindSchema>;

export const REQUEST_STATUSES = ['scheduled', 'due', 'purging', 'completed', 'failed', 'cancelled'] as const;
export const requestStatusSchema = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof requestStatusSchema>;

export const AREA_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const;
export const areaStatusSchema = z.enum(AREA_STATUSES);
export type AreaStatus = z.infer<typeof areaStatusSchema>;

/** Kinds that wait for a grace period before the complete data purge. */
export const KINDS_WITH_GRACE_PERIOD: ReadonlySet<DeletionKind> = new Set(['workspace', 'purge']);

/** Kinds that only the archive purges; every other product area skips them. */
export const ARCHIVE_ONLY_KINDS: ReadonlySet<DeletionKind> = new Set(['source', 'legacy_archive_purge']);

/** The name of the archive's product area, hosted by purge-executor. */
export const ARCHIVE_AREA = 'archive';

export const REGULATIONS = ['delete', 'suppress_with_delete', 'suppress', 'unsuppress'] as const;
export const regulationSchema = z.enum(REGULATIONS);
export type Regulation = z.infer<typeof regulationSchema>;

/** Counts of what one product area removed, by the area's own unit name (`objects`, `rows`, ...). */
export const purgeCountsSchema = z.record(z.string().min(1), z.number().int().nonnegative());
export type PurgeCounts = z.infer<typeof purgeCountsSchema>;

/** Product-area names are used in consumer group ids, table rows and metrics labels. */
export const areaNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,40}$/, 'an area name is 2-41 lowercase letters, digits or hyphens, starting with a letter');
