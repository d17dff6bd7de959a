import { PurgeCounts } from '@deletion/contracts';
import { ProductAreaDefinition, PurgeJob, RetryablePurgeError } from '@deletion/product-area-sdk';
import { ArchivePurger } from './archive-purger';
import { workspaceArchivePrefix } from './archive-prefix.util';

/** How many failed keys a failure report carries; the count is always complete. */
const FAILED_KEY_SAMPLE = 20;

/**
 * Creates the raw-event archive's product area: a workspace purge removes every
 * object under `<workspaceId>/`. Keys that S3 fails to delete fail the
 * attempt, so the area is retried and never acknowledges a partial purge as success.
 */
export function createArchiveArea(purger: ArchivePurger): ProductAreaDefinition {
  return {
    name: 'archive',
    kinds: ['workspace', 'purge'],
    transactional: false,
    async purge(job: PurgeJob): Promise<PurgeCounts> {
      const result = await purger.purgePrefix(workspaceArchivePrefix(job.workspaceId));
      if (result.failed.length > 0) {
        throw new RetryablePurgeError(
          'archive_objects_not_deleted',
          `${result.failed.length} of ${result.listed} archive objects could not be deleted`,
          { failedCount: result.failed.length, deletedCount: result.deleted, failedKeys: result.failed.slice(0, FAILED_KEY_SAMPLE) },
          { objects: result.deleted },
        );
      }
      return { objects: result.deleted };
    },
  };
}
