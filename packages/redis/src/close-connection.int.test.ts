import { startRedisServer } from '@recording-vault/testkit';
import { describe, expect, it } from 'vitest';
import { closeConnection, workerConnection } from './connections.ts';

describe('closeConnection', () => {
  it('quits a connection that answers', async () => {
    const server = await startRedisServer();
    try {
      const connection = workerConnection(server.url);
      await connection.ping();
      await closeConnection(connection);
      await expect.poll(() => connection.status).toBe('end');
    } finally {
      await server.close();
    }
  });

  it('drops, within its bound, a connection waiting for a server that is gone', async () => {
    const server = await startRedisServer();
    const connection = workerConnection(server.url);
    connection.on('error', () => {});
    await connection.ping();
    await server.close();
    // A worker's connection waits for its server for ever: a plain QUIT would never be answered.
    await expect.poll(() => connection.status).not.toBe('ready');
    // Without the bound this would wait for the server for ever (and the test time out).
    await closeConnection(connection, 200);
    expect(connection.status).not.toBe('ready');
  });
});
