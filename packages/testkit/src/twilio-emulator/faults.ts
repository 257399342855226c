/**
 * Routes a fault can target. `signed-media` is the second origin that serves redirected media;
 * `transcriptions` lists a recording's transcriptions, `transcription` and `delete-transcription` address one.
 */
export type FaultRoute =
  | 'fetch'
  | 'list'
  | 'delete'
  | 'media'
  | 'signed-media'
  | 'transcriptions'
  | 'transcription'
  | 'delete-transcription';

export type FaultKind =
  | 'status'
  | 'rateLimit'
  | 'latency'
  | 'reset'
  | 'truncate'
  | 'trickle'
  | 'lie'
  | 'wrongResource';

/**
 * A media answer of 200 whose body is not the recording the resource describes: `empty` (no body),
 * `html` (an HTML error page served as text/html), `json` (a JSON error body served as
 * application/octet-stream), `wrong-duration` (a well-formed file of another length), `mono` (the other
 * channel count than asked: mono for RequestedChannels=2), `hollow` (a WAV header claiming the whole
 * recording over a body one second short, with a Content-Length that matches the body).
 */
export type MediaLie = 'empty' | 'html' | 'json' | 'wrong-duration' | 'mono' | 'hollow';

export type FaultEffect =
  /** Answer with a 5xx and Twilio's error JSON. */
  | { kind: 'status'; status?: 500 | 502 | 503 | 504 }
  /** Answer 429 with Twilio code 20429, with a `Retry-After` header when `retryAfterSeconds` is set. */
  | { kind: 'rateLimit'; retryAfterSeconds?: number }
  /** Wait before answering; other faults still apply after the wait. */
  | { kind: 'latency'; ms: number }
  /** Send the head and `afterBytes` of the body (default half), then reset the connection (TCP RST). */
  | { kind: 'reset'; afterBytes?: number }
  /** Send the head and `afterBytes` of the body (default half), then close cleanly: fewer bytes than Content-Length. */
  | { kind: 'truncate'; afterBytes?: number }
  /** Send the body `bytes` at a time (default 1), one write every `intervalMs`: a download that never ends. */
  | { kind: 'trickle'; intervalMs: number; bytes?: number }
  /** Answer media 200 with a body that is not the recording (see MediaLie). */
  | { kind: 'lie'; lie: MediaLie }
  /**
   * Answer a fetch 200 with the resource of another recording of the account (`other-sid`: `otherSid`'s,
   * else the newest other completed one), or with the recording's resource under another account SID
   * (`other-account`).
   */
  | { kind: 'wrongResource'; as: 'other-sid' | 'other-account'; otherSid?: string };

export type FaultSpec = FaultEffect & {
  route: FaultRoute | readonly FaultRoute[] | '*';
  /** Only requests about this recording. */
  recordingSid?: string;
  /** How many requests it hits; unlimited (until `clearFaults`/`remove`) when not given. */
  times?: number;
  /** Chance of hitting a matching request, from the emulator's seeded generator (default 1). */
  probability?: number;
};

export interface Fault {
  readonly id: number;
  readonly spec: FaultSpec;
  /** Requests it has hit so far. */
  readonly hits: number;
  remove(): void;
}

export type BodyFault = Extract<FaultEffect, { kind: 'reset' | 'truncate' | 'trickle' }>;
/** Faults that shape a media body, and so wait for the signed-media request when media is redirected. */
export type MediaFault = BodyFault | Extract<FaultEffect, { kind: 'lie' }>;
export type TerminalFault = Exclude<FaultEffect, { kind: 'latency' }>;

/** What the faults matching a request add up to: a delay, then at most one fault that ends it. */
export interface FaultDecision {
  latencyMs: number;
  terminal: TerminalFault | null;
}

export interface FaultRegistry {
  add(spec: FaultSpec): Fault;
  clear(): void;
  /** Draws the faults for one request; `accepts` says which registered faults may apply to it. */
  decide(accepts: (spec: FaultSpec) => boolean): FaultDecision;
}

export function faultTargets(spec: FaultSpec, route: FaultRoute, recordingSid: string | null): boolean {
  const routeMatches =
    spec.route === '*' || spec.route === route || (Array.isArray(spec.route) && spec.route.includes(route));
  return routeMatches && (spec.recordingSid === undefined || spec.recordingSid === recordingSid);
}

export function isBodyFault(spec: FaultEffect): spec is BodyFault {
  return spec.kind === 'reset' || spec.kind === 'truncate' || spec.kind === 'trickle';
}

export function isMediaFault(spec: FaultEffect): spec is MediaFault {
  return isBodyFault(spec) || spec.kind === 'lie';
}

export function createFaultRegistry(random: () => number): FaultRegistry {
  interface Entry {
    id: number;
    spec: FaultSpec;
    remaining: number;
    hits: number;
  }
  let entries: Entry[] = [];
  let nextId = 1;

  return {
    add(spec) {
      validate(spec);
      const entry: Entry = { id: nextId++, spec, remaining: spec.times ?? Infinity, hits: 0 };
      entries.push(entry);
      return {
        id: entry.id,
        spec,
        get hits() {
          return entry.hits;
        },
        remove() {
          entries = entries.filter((candidate) => candidate !== entry);
        },
      };
    },

    clear() {
      entries = [];
    },

    decide(accepts) {
      const decision: FaultDecision = { latencyMs: 0, terminal: null };
      for (const entry of entries) {
        if (entry.remaining <= 0 || !accepts(entry.spec)) continue;
        // A second terminal fault is not drawn, so its count is kept for a later request.
        if (entry.spec.kind !== 'latency' && decision.terminal) continue;
        if (entry.spec.probability !== undefined && random() >= entry.spec.probability) continue;
        entry.remaining--;
        entry.hits++;
        if (entry.spec.kind === 'latency') decision.latencyMs += entry.spec.ms;
        else decision.terminal = entry.spec;
      }
      entries = entries.filter((entry) => entry.remaining > 0);
      return decision;
    },
  };
}

function validate(spec: FaultSpec): void {
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) {
    throw new Error(`fault times must be a whole number ≥ 1, got ${spec.times}`);
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new Error(`fault probability must be within [0, 1], got ${spec.probability}`);
  }
  if (spec.kind === 'latency' && !(spec.ms >= 0)) throw new Error(`latency must be ≥ 0 ms, got ${spec.ms}`);
  if (spec.kind === 'trickle' && !(spec.intervalMs >= 0 && (spec.bytes ?? 1) >= 1)) {
    throw new Error(`trickle needs intervalMs ≥ 0 and bytes ≥ 1, got ${spec.intervalMs} and ${spec.bytes}`);
  }
  if (
    (spec.kind === 'reset' || spec.kind === 'truncate') &&
    spec.afterBytes !== undefined &&
    !(spec.afterBytes >= 0)
  ) {
    throw new Error(`afterBytes must be ≥ 0, got ${spec.afterBytes}`);
  }
}
