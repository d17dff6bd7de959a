import 'reflect-metadata';
import { startProductArea } from '@deletion/product-area-sdk';
import { runService } from '@deletion/service-runtime';
import { CreateAudiencesTables1733300500000 } from './create-audiences-tables.migration';
import { audiencesArea } from './audiences.area';

void runService('audiences-area', () =>
  startProductArea({ area: audiencesArea, schema: 'area_audiences', migrations: [CreateAudiencesTables1733300500000] }),
);
