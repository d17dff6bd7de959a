import { utcDaysInRange } from '@deletion/archive-layout';
import { PurgeCounts } from '@deletion/contracts';
import { PermanentPurgeError, ProductAreaDefinition, PurgeJob, RetryablePurgeError } from '@deletion/product-area-sdk';
import { ArchivePurger, PrefixPurgeResult } from './archive-purger';
import { ArchiveRewriter } from './archive-rewriter';
import { sourceDayPrefix, workspaceArchivePrefix } from './archive-prefix.util';

export const ARCHIVE_AREA_NAME = 'archive';

/** How many failed keys a failure report carries; the count is always complete. */
const FAILED_KEY_SAMPLE = 20;

/**
 * Creates the raw-event archive's product area. A workspace purge removes
 * every object under `<workspaceId>/`. A source deletion removes the day
 * folders of one source. An end-user deletion rewrites the objects that
 * contain the subjects' events. Keys that S3 fails to delete fail the
 * attempt, so the area is retried and never acknowledges a partial purge as
 * success.
 */
export function createArchiveArea(purger: ArchivePurger, rewriter: ArchiveRewriter): ProductAreaDefinition {
  return {
    name: ARCHIVE_AREA_NAME,
    kinds: ['workspace', 'purge', 'legacy_archive_purge', 'source', 'user'],
    transactional: false,
    async purge(job: PurgeJob): Promise<PurgeCounts> {
      const { scope } = job;
      switch (scope.type) {
        case 'workspace':
          return objectsDeleted([await purger.purgePrefix(workspaceArchivePrefix(job.workspaceId))]);
        case 'source': {
          const results: PrefixPurgeResult[] = [];
          for (const day of utcDaysInRange(scope.from, scope.to)) {
            results.push(await purger.purgePrefix(sourceDayPrefix(job.workspaceId, scope.sourceId, day)));
          }
          return objectsDeleted(results);
        }
        case 'subjects': {
          const result = await rewriter.removeSubjects(workspaceArchivePrefix(job.workspaceId), scope.subjectType, scope.subjects);
          return { events: result.eventsRemoved, objectsRewritten: result.objectsRewritten, objectsDeleted: result.objectsDeleted };
        }
        default:
          throw new PermanentPurgeError('unsupported_scope', `the archive cannot purge scope ${JSON.stringify(scope)}`);
      }
    },
  };
}

function objectsDeleted(results: PrefixPurgeResult[]): PurgeCounts {
  const failed = results.flatMap((result) => result.failed);
  const deleted = results.reduce((sum, result) => sum + result.deleted, 0);
  const listed = results.reduce((sum, result) => sum + result.listed, 0);
  if (failed.length > 0) {
    throw new RetryablePurgeError(
      'archive_objects_not_deleted',
      `${failed.length} of ${listed} archive objects could not be deleted`,
      { failedCount: failed.length, deletedCount: deleted, failedKeys: failed.slice(0, FAILED_KEY_SAMPLE) },
      { objects: deleted },
    );
  }
  return { objects: deleted };
}
