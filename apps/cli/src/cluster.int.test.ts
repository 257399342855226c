import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RedisTestCluster, startRedisCluster } from '@recording-vault/testkit';
import { type RigOnRedis, startArchiveRigOnCluster } from '@recording-vault/worker/testing/archive-rig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing/cli-run.ts';

const prefix = '{rv-test}';

describe('vault on a Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: RedisTestCluster;
  let rig: RigOnRedis;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    rig = await startArchiveRigOnCluster(cluster, prefix, { driver: 'folder' });
    env = {
      // Some nodes are enough: the client learns the others from them.
      REDIS_CLUSTER_NODES: cluster.seeds.slice(0, 2).join(','),
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: rig.account.accountSid,
      TWILIO_AUTH_TOKEN: rig.account.authToken,
      TWILIO_API_BASE_URL: rig.emulator.baseUrl,
    };
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
    await cluster?.close();
  });

  it('vault status reads the totals and the request window the workers keep there', async () => {
    await rig.startWorker({}, { twilioWindows: { ceiling: 4 } });
    const archived = rig.addRecording({ duration: 3 });
    const absent = rig.addRecording({ duration: 0, status: 'absent' });
    await rig.enqueue(archived);
    await rig.enqueue(absent);
    await rig.settle(archived.sid, 60_000);
    await rig.settle(absent.sid, 60_000);

    const status = await runCli(['status', '--json'], env);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const [account] = JSON.parse(status.stdout) as Array<Record<string, unknown>>;
    expect(account).toMatchObject({
      accountSid: rig.account.accountSid,
      archived: 1,
      skipped: 1,
      pending: 0,
      twilioWindow: { accountSid: rig.account.accountSid, inFlight: 0 },
    });
    expect((await runCli(['status'], env)).stdout).toContain(`${rig.account.accountSid}: archived 1 (`);
  });

  it('vault reindex rebuilds the index there from the sidecars, and vault get reads a recording through it', async () => {
    const storage = { STORAGE_DIR: fileURLToPath(rig.store.location) };
    const recording = rig.addRecording({ duration: 2 });
    await rig.enqueue(recording);
    await rig.settle(recording.sid, 60_000);
    await rig.index.remove(recording.sid);

    const rebuilt = await runCli(['reindex'], { ...env, ...storage });
    expect(rebuilt).toMatchObject({ code: 0, stderr: '' });
    expect(rebuilt.stdout).toMatch(/reindex: 2 sidecars read, 2 entries written, 0 removed, 0 problems/);
    const out = join(await mkdtemp(join(tmpdir(), 'rv-cli-cluster-')), 'copy.wav');
    const got = await runCli(['get', recording.sid, '--out', out], { ...env, ...storage });
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(
      createHash('sha256')
        .update(await readFile(out))
        .digest('hex'),
    ).toBe((await rig.emulator.expectedMedia(recording.sid)).sha256);
  });

  it('names the cluster it cannot reach, without hanging', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const result = await runCli(['status'], { ...env, REDIS_CLUSTER_NODES: nowhere });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^vault: cannot reach the Redis Cluster at ${nowhere} \\(.+\\)\\n$`),
    );
  });
});
