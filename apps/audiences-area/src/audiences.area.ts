import { assertDeleteCriteria, queryAffectedCount } from '@deletion/persistence';
import { PermanentPurgeError, ProductAreaDefinition } from '@deletion/product-area-sdk';

/** The audiences product area: which end users (by userId) belong to which audience of a workspace. */
export const audiencesArea: ProductAreaDefinition = {
  name: 'audiences',
  kinds: ['workspace', 'purge', 'user'],
  transactional: true,
  async purge(job, { manager }) {
    const { scope } = job;
    if (scope.type === 'workspace') {
      const criteria = { workspaceId: job.workspaceId };
      assertDeleteCriteria(criteria, 'audiences purge');
      const deleted = await queryAffectedCount(manager, 'DELETE FROM area_audiences.audience_members WHERE workspace_id = $1', [
        criteria.workspaceId,
      ]);
      return { memberships: deleted };
    }
    if (scope.type === 'subjects') {
      // Audience memberships are keyed by userId only; anonymous visitors are never members.
      if (scope.subjectType === 'anonymousId') {
        return { memberships: 0 };
      }
      const criteria = { workspaceId: job.workspaceId, subjects: scope.subjects };
      assertDeleteCriteria(criteria, 'audiences end-user purge');
      const deleted = await queryAffectedCount(
        manager,
        'DELETE FROM area_audiences.audience_members WHERE workspace_id = $1 AND user_id = ANY($2::text[])',
        [criteria.workspaceId, criteria.subjects],
      );
      return { memberships: deleted };
    }
    throw new PermanentPurgeError('unsupported_scope', `audiences cannot purge a ${scope.type} scope`);
  },
};
