export * from './product-area.definition';
export * from './product-area-tables.sql';
export * from './product-area.runner';
export * from './retry-policy';
export * from './start-product-area';
