import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAppProcess } from '@recording-vault/testkit';

/** An exit the run did not cause: a crash, or a refusal to start. */
export interface UnexpectedExit {
  readonly app: string;
  readonly at: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It exited before its health endpoint ever answered: a refusal to start, not a crash mid-work. */
  readonly beforeReady: boolean;
  readonly logTail: string;
}

export interface AppProcessOptions {
  name: string;
  /** The app's composition root, run with `node --conditions=source`. */
  main: string;
  env: Record<string, string>;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  /** True once the app answers (its health endpoint). */
  probe: () => Promise<boolean>;
  onUnexpectedExit: (exit: UnexpectedExit) => void;
}

export interface AppProcess {
  readonly name: string;
  readonly running: boolean;
  /** Times it was started, restarts included. */
  readonly starts: number;
  start(): void;
  /** Resolves once it answers its probe; rejects if it does not within `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL: a crash at whatever moment this is. It stays down until `start()`. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; it stays down for good (a later `start()` does nothing). */
  stop(graceMs: number): Promise<void>;
}

/**
 * One app as a child process, supervised like an orchestrator's restart policy: an exit the run did not
 * ask for is recorded (with the end of its log) and the app is started again a second later.
 */
export function appProcess(options: AppProcessOptions): AppProcess {
  let child: ChildProcess | undefined;
  let starts = 0;
  let wanted = false;
  let retired = false;
  let answered = false;

  const spawnChild = (): void => {
    const log = openSync(options.logFile, 'a');
    const next = startAppProcess(options.main, [], options.env, { output: log }).child;
    closeSync(log);
    child = next;
    starts++;
    answered = false;
    void watchReady(next);
    next.once('exit', (code, signal) => {
      if (child === next) child = undefined;
      if (!wanted) return;
      void (async () => {
        const text = await readFile(options.logFile, 'utf8').catch(() => '');
        options.onUnexpectedExit({
          app: options.name,
          at: Date.now(),
          code,
          signal,
          beforeReady: !answered,
          logTail: text.slice(-1500),
        });
        await sleep(1_000);
        if (wanted && child === undefined) spawnChild();
      })();
    });
  };

  const watchReady = async (target: ChildProcess): Promise<void> => {
    while (child === target && target.exitCode === null && target.signalCode === null) {
      if (await options.probe().catch(() => false)) {
        answered = true;
        return;
      }
      await sleep(100);
    }
  };

  const signal = async (name: NodeJS.Signals, graceMs = 0): Promise<void> => {
    const target = child;
    if (!target || target.exitCode !== null || target.signalCode !== null) return;
    const exited = once(target, 'exit');
    target.kill(name);
    if (graceMs > 0) {
      const timer = setTimeout(() => target.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  };

  return {
    name: options.name,
    get running() {
      return child !== undefined;
    },
    get starts() {
      return starts;
    },
    start() {
      if (retired) return;
      wanted = true;
      if (child === undefined) spawnChild();
    },
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!answered) {
        if (Date.now() > deadline) throw new Error(`${options.name} did not become ready in ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async kill() {
      wanted = false;
      await signal('SIGKILL');
    },
    async stop(graceMs) {
      retired = true;
      wanted = false;
      await signal('SIGTERM', graceMs);
    },
  };
}
