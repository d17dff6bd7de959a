import { assertDeleteCriteria } from '@deletion/persistence';
import { ProductAreaDefinition } from '@deletion/product-area-sdk';

/** The profiles product area: one row of traits per end user and workspace. */
export const profilesArea: ProductAreaDefinition = {
  name: 'profiles',
  kinds: ['workspace', 'purge'],
  transactional: true,
  async purge(job, { manager }) {
    const criteria = { workspaceId: job.workspaceId };
    assertDeleteCriteria(criteria, 'profiles purge');
    const [, deleted] = (await manager.query('DELETE FROM area_profiles.profiles WHERE workspace_id = $1', [criteria.workspaceId])) as [
      unknown,
      number,
    ];
    return { rows: deleted };
  },
};
