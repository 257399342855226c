export * from './connections.ts';
export * from './slots.ts';
