import { assertDeleteCriteria } from '@deletion/persistence';
import { ProductAreaDefinition } from '@deletion/product-area-sdk';

/** The audiences product area: which end users belong to which audience of a workspace. */
export const audiencesArea: ProductAreaDefinition = {
  name: 'audiences',
  kinds: ['workspace', 'purge'],
  transactional: true,
  async purge(job, { manager }) {
    const criteria = { workspaceId: job.workspaceId };
    assertDeleteCriteria(criteria, 'audiences purge');
    const [, deleted] = (await manager.query('DELETE FROM area_audiences.audience_members WHERE workspace_id = $1', [
      criteria.workspaceId,
    ])) as [unknown, number];
    return { memberships: deleted };
  },
};
