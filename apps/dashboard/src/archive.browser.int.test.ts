import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createArchiveIndex } from '@recording-vault/archive-index';
import {
  type ArchivedRecording,
  archiveRecording,
  sidOf,
} from '@recording-vault/archive-index/testing/archived-fixtures';
import { allQueueNames, type QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { producerConnection } from '@recording-vault/redis';
import type { ObjectStore } from '@recording-vault/storage';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The Twilio emulator's audio: a tone under a real 8 kHz, 16-bit PCM WAV header, the size Twilio's are.
import { mediaChunks } from '../../../packages/testkit/src/twilio-emulator/media-generator.ts';
// The recordings API as its main starts it, over a private Redis and a folder store.
import { type ApiRig, startApiRig } from '../../recordings-api/src/testing/api-rig.ts';
import { createDashboardApp } from './app.ts';
import { launchChromium } from './testing/chromium.ts';

const credentials = { user: 'operator', password: 'correct horse battery staple' };
// Beside the board's own screenshot, in the repository's ignored test-artifacts folder.
const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/** What the tests read of an `<audio>` element inside the page (no DOM types in this project). */
interface AudioElement {
  readyState: number;
  currentTime: number;
  duration: number;
  muted: boolean;
  error: { code: number; message: string } | null;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
}

/**
 * The store, writing the emulator's audio where the archive fixture writes random bytes behind a WAV-like
 * header: the same size (both are Twilio's WAV size for the duration and channels), so the fixture's
 * sidecar and index entry record the size and SHA-256 of what is really stored, and a browser can decode it.
 */
function withRealAudio(store: ObjectStore): ObjectStore {
  const put: ObjectStore['put'] = (key, _body, options) => {
    const channels = options.metadata?.channels === '2' ? 2 : 1;
    const dataBytes = (options.expectedBytes ?? 44) - 44;
    const audio = mediaChunks({
      recordingSid: options.metadata?.['recording-sid'] ?? key,
      format: 'wav',
      channels,
      recordingChannels: channels,
      durationSeconds: dataBytes / (16_000 * channels),
      encrypted: false,
    });
    return store.put(key, Readable.from(audio), options);
  };
  return new Proxy(store, {
    get: (target, name) => (name === 'put' ? put : Reflect.get(target, name, target)),
  });
}

describe('archive page in a browser', () => {
  let rig: ApiRig;
  let connection: Redis;
  let queues: Record<QueueName, Queue>;
  let server: Server;
  let base: string;
  let browser: Browser;
  let recording: ArchivedRecording;
  const callSid = sidOf('CA');

  beforeAll(async () => {
    rig = await startApiRig('folder');
    // A dual-channel recording of 20 s, archived as the worker leaves one: bytes, sidecar, index entry.
    recording = await archiveRecording(
      withRealAudio(rig.store),
      {
        accountSid: rig.a.accountSid,
        callSid,
        dateCreated: new Date('2026-11-24T03:00:00Z'),
        durationSeconds: 20,
        channels: 2,
      },
      rig.index,
    );
    // Another recording of the account, so that the search has something to tell apart.
    await rig.archive({ dateCreated: new Date('2026-11-23T09:00:00Z') });

    connection = producerConnection(rig.redis.url);
    connection.on('error', () => {});
    queues = Object.fromEntries(
      allQueueNames.map((name) => [name, new Queue(name, { connection, prefix: rig.prefix })]),
    ) as Record<QueueName, Queue>;
    const logger = createLogger({ name: 'dashboard', level: 'silent' });
    server = createDashboardApp({
      queues,
      auth: credentials,
      logger,
      isRedisReady: async () => (await connection.ping()) === 'PONG',
      archive: {
        index: createArchiveIndex({ redis: connection, prefix: rig.prefix }),
        redis: connection,
        store: rig.store,
        playback: { enabled: true, publicUrl: rig.api.publicUrl, linkSecret: rig.linkSecret },
        logger,
      },
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
    await Promise.all(Object.values(queues ?? {}).map((queue) => queue.close().catch(() => {})));
    connection?.disconnect();
    await rig?.close();
  });

  it('finds a recording, plays it from the recordings API, seeks, and issues a signed link', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: credentials.user, password: credentials.password },
      viewport: { width: 1300, height: 1000 },
    });
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused/i.test(message.text())) refused.push(message.text());
      });
      const media: Array<{ status: number; range: string | undefined; contentRange: string | undefined }> =
        [];
      page.on('response', async (response) => {
        if (!response.url().startsWith(`${rig.api.publicUrl}/v1/media/`)) return;
        media.push({
          status: response.status(),
          range: await response
            .request()
            .headerValue('range')
            .then((value) => value ?? undefined),
          contentRange: response.headers()['content-range'],
        });
      });

      const archive = await page.goto(`${base}/archive`);
      expect(archive?.status()).toBe(200);
      await expect(page.title()).resolves.toBe('Archive · Recording Vault');
      await page.getByRole('heading', { name: 'Recent archives' }).waitFor();

      // Search by the call: the list holds its recording, which links to the recording's page.
      await page.getByLabel('Recording or call SID').fill(callSid);
      await Promise.all([
        page.waitForURL(/\/archive\?q=CA/),
        page.getByRole('button', { name: 'Search' }).click(),
      ]);
      await page.getByRole('heading', { name: `Recordings of call ${callSid}` }).waitFor();
      const link = page.getByRole('link', { name: recording.entry.recordingSid });
      expect(await page.locator('table.recordings tbody tr').count()).toBe(1);
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}archive-search.png`, fullPage: true });
      await Promise.all([
        page.waitForURL(`${base}/archive/recordings/${recording.entry.recordingSid}`),
        link.click(),
      ]);

      // The recording's metadata, from the index and its sidecar.
      const metadata = page.locator('dl.metadata');
      await expect(metadata.textContent()).resolves.toContain('2 (dual-channel)');
      await expect(metadata.textContent()).resolves.toContain(recording.entry.sha256);
      await expect(metadata.textContent()).resolves.toContain('DialVerb');

      // The player reaches HAVE_CURRENT_DATA (readyState 2) or better from the signed link.
      const player = page.locator('audio#player');
      expect(await player.getAttribute('src')).toMatch(
        new RegExp(
          `^${rig.api.publicUrl}/v1/media/${rig.a.accountSid}/${recording.entry.recordingSid}\\.wav\\?Expires=\\d+&Signature=`,
        ),
      );
      const loaded = await player.evaluate(
        (audio: AudioElement) =>
          new Promise<{ readyState: number; duration: number }>((resolve, reject) => {
            const done = () => resolve({ readyState: audio.readyState, duration: audio.duration });
            if (audio.readyState >= 2) done();
            audio.addEventListener('loadeddata', done, { once: true });
            audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}`)), {
              once: true,
            });
          }),
      );
      expect(loaded.readyState).toBeGreaterThanOrEqual(2);
      expect(loaded.duration).toBe(20);

      // Seeking: the element lands where it was sent.
      const seeked = await player.evaluate(
        (audio: AudioElement) =>
          new Promise<{ currentTime: number; readyState: number }>((resolve) => {
            audio.addEventListener(
              'seeked',
              () => resolve({ currentTime: audio.currentTime, readyState: audio.readyState }),
              {
                once: true,
              },
            );
            audio.currentTime = 12.5;
          }),
      );
      expect(seeked.currentTime).toBeCloseTo(12.5, 1);

      // And it plays (muted, as a page may play without a gesture), from there on.
      const playing = await player.evaluate(
        (audio: AudioElement) =>
          new Promise<number>((resolve, reject) => {
            audio.muted = true;
            audio.addEventListener(
              'timeupdate',
              () => {
                audio.pause();
                resolve(audio.currentTime);
              },
              { once: true },
            );
            audio.play().catch(reject);
          }),
      );
      expect(playing).toBeGreaterThanOrEqual(12.5);

      // The browser asked the API for ranges, and got them (206 with Content-Range).
      expect(media.length).toBeGreaterThan(0);
      expect(
        media.some(
          (answer) => answer.status === 206 && /^bytes \d+-\d+\/\d+$/.test(answer.contentRange ?? ''),
        ),
      ).toBe(true);
      expect(media.every((answer) => answer.status === 200 || answer.status === 206)).toBe(true);

      // The signed-link button: a POST from the page itself, which the same-origin rule lets through.
      await page.getByLabel('Valid for').selectOption('24h');
      const [issued] = await Promise.all([
        page.waitForResponse(
          (answer) =>
            answer.request().method() === 'POST' &&
            answer.url() === `${base}/archive/recordings/${recording.entry.recordingSid}/link`,
        ),
        page.getByRole('button', { name: 'Issue signed link' }).click(),
      ]);
      expect(issued.status()).toBe(201);
      const { origin, 'sec-fetch-site': site } = await issued.request().allHeaders();
      expect(origin).toBe(base);
      expect(site).toBe('same-origin');
      const signed = await page.locator('a#signed-link').getAttribute('href');
      await expect(page.locator('.issued').textContent()).resolves.toContain('valid for 1 day, until');
      // The link plays without credentials.
      const fetched = await fetch(signed ?? '', { headers: { range: 'bytes=0-43' } });
      expect(fetched.status).toBe(206);
      expect(
        Buffer.from(await fetched.arrayBuffer())
          .subarray(0, 4)
          .toString('latin1'),
      ).toBe('RIFF');

      // The page's CSP let everything it needs through, and nothing else was tried.
      expect(refused).toEqual([]);

      await page.screenshot({ path: `${artifacts}archive-recording.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
