/**
 * Twilio's data regions. An account's data, auth tokens and API keys live in one region, and its API is
 * reached at that region's host: api.twilio.com for us1, `api.<edge>.<region>.twilio.com` elsewhere (the
 * old `api.ie1.twilio.com` / `api.au1.twilio.com` hosts stopped working on 28 April 2026).
 */
export const twilioRegions = ['us1', 'ie1', 'au1'] as const;
export type TwilioRegion = (typeof twilioRegions)[number];

/** The edge each region is reached through when none is given. */
const defaultEdges: Readonly<Record<Exclude<TwilioRegion, 'us1'>, string>> = { ie1: 'dublin', au1: 'sydney' };

/** A Twilio edge location's name, as it appears in a host name (`dublin`, `sydney`, `ashburn`, …). */
export const edgePattern = /^[a-z][a-z0-9-]{1,31}$/;

/** The API origin of an account in `region`, through `edge` (the region's own when not given). */
export function regionalApiOrigin(region: TwilioRegion, edge?: string): string {
  if (region === 'us1' && edge === undefined) return 'https://api.twilio.com';
  const through = edge ?? defaultEdges[region as Exclude<TwilioRegion, 'us1'>];
  return `https://api.${through}.${region}.twilio.com`;
}
