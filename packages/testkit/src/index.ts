export * from './app-process.ts';
export * from './free-port.ts';
export * from './raw-http.ts';
export * from './redis-server.ts';
export * from './s3-fault-front.ts';
export * from './s3-server.ts';
export * from './twilio-emulator/index.ts';
