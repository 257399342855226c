export * from './job-catalogue.ts';
export * from './job-ids.ts';
export * from './job-options.ts';
export * from './jobs.ts';
export * from './queues.ts';
export * from './rearm-failed.ts';
export * from './sids.ts';
