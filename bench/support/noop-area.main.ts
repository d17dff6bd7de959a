import 'reflect-metadata';
import { productAreaTablesMigration, startProductArea } from '@deletion/product-area-sdk';
import { runService } from '@deletion/service-runtime';

/** A product area that has nothing to delete, for measuring the platform's own cost per request. */
void runService('noop-area', () =>
  startProductArea({
    area: { name: 'noop', kinds: ['user'], transactional: true, purge: async () => ({ rows: 0 }) },
    schema: 'area_noop',
    migrations: [productAreaTablesMigration('area_noop')],
  }),
);
