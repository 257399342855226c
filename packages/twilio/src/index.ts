export * from './errors.ts';
export * from './media.ts';
export * from './media-check.ts';
export * from './recording.ts';
export * from './rest-client.ts';
