/**
 * What the run must undo, newest first: child processes, servers, temporary folders. `run()` is safe to
 * call more than once (Ctrl-C during a failure's clean-up) and never throws.
 */
export interface Teardown {
  /** Aborted as soon as the teardown begins: loops that make more to undo stop there. */
  readonly signal: AbortSignal;
  add(name: string, undo: () => Promise<unknown>): void;
  run(): Promise<void>;
}

export function createTeardown(): Teardown {
  const steps: { name: string; undo: () => Promise<unknown> }[] = [];
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  return {
    signal: stopping.signal,
    add(name, undo) {
      steps.push({ name, undo });
    },
    run() {
      stopping.abort();
      running ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.undo();
          } catch (error) {
            console.error(`chaos: clean-up of ${step.name} failed:`, error);
          }
        }
      })();
      return running;
    },
  };
}
