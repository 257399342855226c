export * from './accounts-file.ts';
export * from './env-schemas.ts';
export * from './parse-env.ts';
export * from './placeholders.ts';
export * from './twilio-regions.ts';
export * from './variables.ts';
