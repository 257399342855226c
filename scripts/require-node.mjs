// Loaded first by every `pnpm` script that runs Node (`node --import ./scripts/require-node.mjs …`): on an
// older Node, the first TypeScript file would fail with "Unknown file extension .ts", which says nothing
// about the cause. This file is plain JavaScript that any Node able to load it understands.
import { readFileSync } from 'node:fs';

/** `engines.node` of the root package.json, e.g. `>=24.11.0 <25`: the lowest version and the first refused. */
function supportedRange() {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const range = manifest.engines?.node ?? '';
  const lowest = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(range);
  const below = /<\s*(\d+)/.exec(range);
  return {
    lowest: lowest ? [Number(lowest[1]), Number(lowest[2]), Number(lowest[3] || 0)] : [0, 0, 0],
    below: below ? Number(below[1]) : Number.POSITIVE_INFINITY,
  };
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

const version = process.versions.node;
const current = version.split('.').map(Number);
const { lowest, below } = supportedRange();
const tooOld = compare(current, lowest) < 0;
if (tooOld || current[0] >= below) {
  const upTo = tooOld ? '' : `, below ${below}`;
  console.error(
    `Recording Vault needs Node.js ${lowest[0]}.${lowest[1]} or later${upTo} (this is ${version}): see README`,
  );
  process.exit(1);
}
