export * from './concurrency/gate.ts';
export * from './concurrency/request-windows.ts';
export * from './errors.ts';
export * from './media.ts';
export * from './media-check.ts';
export * from './recording.ts';
export * from './rest-client.ts';
