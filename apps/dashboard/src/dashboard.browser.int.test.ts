import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { allQueueNames, archiveJobId, type QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { producerConnection } from '@recording-vault/redis';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The worker's own test rig: a real worker archiving from the Twilio emulator into a folder.
import { type ArchiveRig, startArchiveRig } from '../../worker/src/testing/archive-rig.ts';
import { createDashboardApp } from './app.ts';
import { launchChromium } from './testing/chromium.ts';

const credentials = { user: 'operator', password: 'correct horse battery staple' };
const screenshot = fileURLToPath(new URL('../../../test-artifacts/dashboard.png', import.meta.url));

describe('dashboard in a browser', () => {
  let rig: ArchiveRig;
  let connection: Redis;
  let queues: Record<QueueName, Queue>;
  let server: Server;
  let base: string;
  let browser: Browser;
  const recordingSids: string[] = [];
  // A recording whose archive job failed while Twilio answered 503, for the operator to retry.
  let failedSid: string;

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker();
    // Demo-style traffic: a mono and a dual-channel recording, archived and deleted at Twilio for real.
    for (const input of [
      { duration: 7, channels: 1 as const },
      { duration: 11, channels: 2 as const },
    ]) {
      const recording = rig.addRecording(input);
      recordingSids.push(recording.sid);
      await rig.enqueue(recording);
    }
    for (const sid of recordingSids) expect(await (await rig.settle(sid)).getState()).toBe('completed');
    const unlucky = rig.addRecording({ duration: 3 });
    failedSid = unlucky.sid;
    const outage = rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: failedSid,
      kind: 'status',
      status: 503,
    });
    await rig.enqueue(unlucky);
    // Every attempt meets the outage (test backoffs are milliseconds); then Twilio is back.
    expect(await (await rig.settle(failedSid)).getState()).toBe('failed');
    outage.remove();

    connection = producerConnection(rig.redis.url);
    connection.on('error', () => {});
    queues = Object.fromEntries(
      allQueueNames.map((name) => [name, new Queue(name, { connection, prefix: rig.prefix })]),
    ) as Record<QueueName, Queue>;
    server = createDashboardApp({
      queues,
      auth: credentials,
      logger: createLogger({ name: 'dashboard', level: 'silent' }),
      isRedisReady: async () => (await connection.ping()) === 'PONG',
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

  it('answers 401 to a browser without credentials', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse(`${base}/`);
      // Headless Chromium turns the unanswered challenge into a navigation error; the response is what counts.
      await page.goto(`${base}/`).catch(() => undefined);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(/^Basic /);
    } finally {
      await context.close();
    }
  });

  it('with credentials, shows the archive queue and its completed jobs', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: credentials.user, password: credentials.password },
      viewport: { width: 1400, height: 900 },
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${base}/queue/archive?status=completed`);
      expect(response?.status()).toBe(200);
      // The job ids are the recording SIDs: what an operator searches the board for.
      for (const sid of recordingSids) {
        await page.getByText(archiveJobId(sid)).first().waitFor({ state: 'visible' });
      }
      await expect(page.title()).resolves.toContain('Recording Vault');
      // Job data holds identifiers only: the account's credentials never reach the board.
      expect(await page.content()).not.toContain(rig.account.authToken);
      await mkdir(fileURLToPath(new URL('.', `file://${screenshot}`)), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it("retries a failed job from the board: the UI's own write passes the same-origin rule", async () => {
    const context = await browser.newContext({
      httpCredentials: { username: credentials.user, password: credentials.password },
      viewport: { width: 1400, height: 900 },
    });
    try {
      const page = await context.newPage();
      const jobId = archiveJobId(failedSid);
      expect(await queues.archive.getJobState(jobId)).toBe('failed');
      await page.goto(`${base}/queue/archive?status=failed`);
      await page.getByText(jobId).first().waitFor({ state: 'visible' });

      // The job card's actions are icons with a tooltip and no accessible name: retry is the refresh icon
      // in the smallest part of the page that holds both the job id and such an icon (the card's header).
      const card = page
        .getByText(jobId)
        .first()
        .locator('xpath=ancestor::*[.//button//*[contains(@class, "lucide-refresh-cw")]][1]');
      await card.locator('button:has(svg.lucide-refresh-cw)').click();
      // The board asks first; the PUT goes out on "Confirm".
      const [response] = await Promise.all([
        page.waitForResponse(
          (answer) =>
            answer.request().method() === 'PUT' &&
            answer.url() === `${base}/api/queues/archive/${jobId}/retry`,
        ),
        page.getByRole('button', { name: 'Confirm', exact: true }).click(),
      ]);
      expect(response.status()).toBe(204);
      // What the browser sent by itself, and what the board checked.
      const { origin, 'sec-fetch-site': site } = await response.request().allHeaders();
      expect(origin).toBe(base);
      expect(site).toBe('same-origin');

      // The job left the failed set, and with Twilio back the worker archives the recording.
      expect(await (await rig.settle(failedSid)).getState()).toBe('completed');
    } finally {
      await context.close();
    }
  });

  it("refuses another site's form that posts a job to the board with the operator's login", async () => {
    // Another site: localhost is not the same site as 127.0.0.1, whatever the port.
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form method="POST" action="${base}/api/queues/archive/add" enctype="text/plain">` +
          `<input name='{"name":"archive","data":{"planted":true},"x":"' value='"}'></form>` +
          '<script>document.forms[0].submit()</script>',
      );
    }).listen(0, '127.0.0.1');
    await once(evil, 'listening');
    const context = await browser.newContext({
      httpCredentials: { username: credentials.user, password: credentials.password },
    });
    try {
      const page = await context.newPage();
      // The operator is logged in: the browser now attaches the credentials to the board's origin.
      expect((await page.goto(`${base}/`))?.status()).toBe(200);
      const before = await queues.archive.getJobCounts();

      const answered = page.waitForResponse(`${base}/api/queues/archive/add`);
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await response.request().headerValue('sec-fetch-site')).toBe('cross-site');
      expect(await queues.archive.getJobCounts()).toEqual(before);
    } finally {
      await context.close();
      evil.closeAllConnections();
      evil.close();
    }
  });
});
