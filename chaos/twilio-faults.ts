import type { Fault, FaultSpec, TwilioEmulator } from '@recording-vault/testkit';

/** A fault and the share of requests it should hit. */
interface Share {
  spec: FaultSpec;
  share: number;
}

/** Every API route the worker uses; `signed-media` is unused (the emulator serves media directly here). */
const apiRoutes = ['fetch', 'list', 'delete', 'media'] as const;

/**
 * The run's Twilio weather: 10% of API requests answered with a 5xx (500, 502, 503, 504 alike), 5% with
 * 429 (half of them with `Retry-After: 1`), 1% answered with the resource of another recording or account
 * (lookups only); of the media bodies that do start, 5% reset mid-stream, 2% cut short (fewer bytes than
 * Content-Length, then a clean close), 2.5% lies (an empty 200, an HTML page, a file of another length or
 * channel count, a WAV header over less audio than it claims: 0.5% each) and 0.5% trickling in.
 *
 * The emulator draws a request's faults in the order they were added and stops at the first that hits,
 * so each fault gets the probability that makes its share of all requests come out as listed.
 */
export function injectChaosFaults(emulator: TwilioEmulator): Fault[] {
  const answers: Share[] = [
    ...([500, 502, 503, 504] as const).map((status) => ({
      spec: { route: apiRoutes, kind: 'status', status } as const,
      share: 0.025,
    })),
    { spec: { route: apiRoutes, kind: 'rateLimit', retryAfterSeconds: 1 }, share: 0.025 },
    { spec: { route: apiRoutes, kind: 'rateLimit' }, share: 0.025 },
    { spec: { route: 'fetch', kind: 'wrongResource', as: 'other-sid' }, share: 0.005 },
    { spec: { route: 'fetch', kind: 'wrongResource', as: 'other-account' }, share: 0.005 },
  ];
  // Media requests that got past the answers above are bodies: these shares are of those.
  const bodies: Share[] = [
    { spec: { route: 'media', kind: 'reset' }, share: 0.05 },
    { spec: { route: 'media', kind: 'truncate' }, share: 0.02 },
    ...(['empty', 'html', 'wrong-duration', 'mono', 'hollow'] as const).map((lie) => ({
      spec: { route: 'media', kind: 'lie', lie } as const,
      share: 0.005,
    })),
    { spec: { route: 'media', kind: 'trickle', intervalMs: 100, bytes: 256 }, share: 0.005 },
  ];
  return [...chained(answers), ...chained(bodies)].map(({ spec, probability }) =>
    emulator.injectFault({ ...spec, probability }),
  );
}

function chained(shares: readonly Share[]): { spec: FaultSpec; probability: number }[] {
  let left = 1;
  return shares.map(({ spec, share }) => {
    const probability = share / left;
    left -= share;
    return { spec, probability };
  });
}
