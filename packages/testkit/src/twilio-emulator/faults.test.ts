import { describe, expect, it } from 'vitest';
import { createFaultRegistry, faultTargets } from './faults.ts';

const always = (): number => 0;

describe('fault registry', () => {
  it('hits a fault `times` times, then drops it', () => {
    const registry = createFaultRegistry(always);
    const fault = registry.add({ route: 'fetch', kind: 'status', status: 503, times: 2 });
    const draw = () => registry.decide((spec) => faultTargets(spec, 'fetch', null)).terminal?.kind ?? null;
    expect([draw(), draw(), draw()]).toEqual(['status', 'status', null]);
    expect(fault.hits).toBe(2);
  });

  it('adds latencies, and keeps the first terminal fault in order, leaving later ones for later', () => {
    const registry = createFaultRegistry(always);
    registry.add({ route: '*', kind: 'latency', ms: 10, times: 1 });
    registry.add({ route: '*', kind: 'latency', ms: 5, times: 1 });
    registry.add({ route: 'media', kind: 'reset', afterBytes: 10, times: 1 });
    registry.add({ route: 'media', kind: 'rateLimit', times: 1 });
    const accepts = (spec: Parameters<typeof faultTargets>[0]) => faultTargets(spec, 'media', null);
    expect(registry.decide(accepts)).toEqual({
      latencyMs: 15,
      terminal: { route: 'media', kind: 'reset', afterBytes: 10, times: 1 },
    });
    expect(registry.decide(accepts)).toEqual({
      latencyMs: 0,
      terminal: { route: 'media', kind: 'rateLimit', times: 1 },
    });
    expect(registry.decide(accepts)).toEqual({ latencyMs: 0, terminal: null });
  });

  it('matches routes and recording SIDs', () => {
    const spec = { route: ['fetch', 'media'], recordingSid: 'RE1', kind: 'status' } as const;
    expect(faultTargets(spec, 'media', 'RE1')).toBe(true);
    expect(faultTargets(spec, 'media', 'RE2')).toBe(false);
    expect(faultTargets(spec, 'list', 'RE1')).toBe(false);
  });

  it('draws against the probability and does not count misses', () => {
    const registry = createFaultRegistry(() => 0.7);
    const fault = registry.add({ route: '*', kind: 'status', probability: 0.5, times: 1 });
    expect(registry.decide(() => true).terminal).toBeNull();
    expect(fault.hits).toBe(0);
  });

  it('can be removed or cleared, and validates its input', () => {
    const registry = createFaultRegistry(always);
    registry.add({ route: '*', kind: 'status' }).remove();
    expect(registry.decide(() => true).terminal).toBeNull();
    registry.add({ route: '*', kind: 'status' });
    registry.clear();
    expect(registry.decide(() => true).terminal).toBeNull();
    expect(() => registry.add({ route: '*', kind: 'status', times: 0 })).toThrow();
    expect(() => registry.add({ route: '*', kind: 'status', probability: 2 })).toThrow();
  });
});
