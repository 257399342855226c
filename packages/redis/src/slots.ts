import type { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './connections.ts';

/**
 * The cluster slot of a key, as Redis computes it: CRC16 (XMODEM) of the key, or of its hash tag (the text
 * between the first `{` and the next `}`, when not empty), modulo 16384.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Told apart by ioredis' own flag: two copies of ioredis in one process defeat `instanceof`. */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return connection.isCluster === true;
}

/**
 * The server connection that carries the commands on `key` to the primary that serves it: for one server,
 * or the primary the sentinels name, the connection itself; in a cluster, the connection ioredis keeps to
 * the node it sends that slot's commands to (its primary: the vault's connections read from primaries), or
 * undefined while the cluster does not know who serves the slot (not connected yet, slots being refreshed).
 *
 * A command sent on it shares the socket of the cluster's own commands on that slot. That is what a
 * command about the connection's earlier writes needs (WAIT counts the writes of the connection that sends
 * it): sent through the cluster object, a keyless command goes to any node.
 */
export function primaryConnectionFor(connection: RedisConnection, key: string): Redis | undefined {
  if (!isCluster(connection)) return connection;
  const owner = connection.slots[keySlot(key)]?.[0];
  if (owner === undefined) return undefined;
  // The cluster names its nodes `host:port`, as CLUSTER SLOTS gave them.
  return connection.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === owner);
}
