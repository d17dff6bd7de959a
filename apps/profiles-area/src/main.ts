import 'reflect-metadata';
import { startProductArea } from '@deletion/product-area-sdk';
import { runService } from '@deletion/service-runtime';
import { CreateProfilesTables1733300400000 } from './create-profiles-tables.migration';
import { profilesArea } from './profiles.area';

void runService('profiles-area', () =>
  startProductArea({ area: profilesArea, schema: 'area_profiles', migrations: [CreateProfilesTables1733300400000] }),
);
