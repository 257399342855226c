export * from './env-schemas.ts';
export * from './parse-env.ts';
