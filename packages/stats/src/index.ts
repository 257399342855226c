export * from './vault-stats.ts';
