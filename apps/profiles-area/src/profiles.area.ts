import { assertDeleteCriteria, queryAffectedCount } from '@deletion/persistence';
import { PermanentPurgeError, ProductAreaDefinition } from '@deletion/product-area-sdk';

/** The profiles product area: one row of traits per end user and workspace. */
export const profilesArea: ProductAreaDefinition = {
  name: 'profiles',
  kinds: ['workspace', 'purge', 'user'],
  transactional: true,
  async purge(job, { manager }) {
    const { scope } = job;
    if (scope.type === 'workspace') {
      const criteria = { workspaceId: job.workspaceId };
      assertDeleteCriteria(criteria, 'profiles purge');
      const deleted = await queryAffectedCount(manager, 'DELETE FROM area_profiles.profiles WHERE workspace_id = $1', [criteria.workspaceId]);
      return { rows: deleted };
    }
    if (scope.type === 'subjects') {
      const criteria = { workspaceId: job.workspaceId, subjects: scope.subjects };
      assertDeleteCriteria(criteria, 'profiles end-user purge');
      const column = scope.subjectType === 'userId' ? 'user_id' : 'anonymous_id';
      const deleted = await queryAffectedCount(
        manager,
        `DELETE FROM area_profiles.profiles WHERE workspace_id = $1 AND ${column} = ANY($2::text[])`,
        [criteria.workspaceId, criteria.subjects],
      );
      return { rows: deleted };
    }
    throw new PermanentPurgeError('unsupported_scope', `profiles cannot purge a ${scope.type} scope`);
  },
};
