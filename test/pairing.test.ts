import { describe, expect, it } from 'vitest';
import { pairServices } from '../src/plan/pairing.js';
import { service, workload } from './helpers.js';

describe('pairServices: same namespace and a non-empty selector matched by pod labels', () => {
  const web = workload('web', { namespace: 'shop', podLabels: { app: 'web', version: 'v1' } });
  const webUnset = workload('web-unset', { podLabels: { app: 'web' } });
  const table = [
    {
      name: 'selector subset of pod labels',
      svc: service('s1', { app: 'web' }, [], { namespace: 'shop' }),
      paired: [web],
    },
    {
      name: 'selector with all pod labels',
      svc: service('s2', { app: 'web', version: 'v1' }, [], { namespace: 'shop' }),
      paired: [web],
    },
    {
      name: 'selector wants a label the pod lacks',
      svc: service('s3', { app: 'web', version: 'v2' }, [], { namespace: 'shop' }),
      paired: [],
    },
    { name: 'other namespace', svc: service('s4', { app: 'web' }, [], { namespace: 'ops' }), paired: [] },
    { name: 'unset namespace is its own', svc: service('s5', { app: 'web' }, []), paired: [webUnset] },
    { name: 'no selector pairs with nothing', svc: service('s6', undefined, [], { namespace: 'shop' }), paired: [] },
  ];
  const pairing = pairServices(
    [web, webUnset],
    table.map((t) => t.svc),
  );
  it.each(table)('$name', ({ svc, paired }) => expect(pairing.workloadsOf.get(svc)).toEqual(paired));
  it('answers from the workload side too', () =>
    expect(pairing.servicesOf.get(web)!.map((s) => s.ref.name)).toEqual(['s1', 's2']));

  it('finds each pair once when a Service matches on several pod labels', () => {
    const w = workload('w', { podLabels: { a: '1', b: '2' } });
    const s = service('s', { a: '1', b: '2' }, []);
    expect(pairServices([w], [s]).servicesOf.get(w)).toEqual([s]);
  });

  it.each([
    ['distinct apps', (i: number) => ({ app: `a${i}` })],
    [
      'a pair every Service shares',
      (i: number) => ({ 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/name': `a${i}` }),
    ],
  ])(
    'checks a number of selectors per workload that does not grow with unrelated Services: %s',
    (_name, selectorOf) => {
      // 2,000 Services: each workload is checked against its own Service only.
      const workloads = Array.from({ length: 2000 }, (_, i) =>
        workload(`w${i}`, { podLabels: { ...selectorOf(i), team: 'shop' } }),
      );
      const services = workloads.map((_, i) => service(`s${i}`, selectorOf(i), []));
      let reads = 0;
      const counting = services.map((s) => ({
        ...s,
        selector: new Proxy(s.selector!, {
          ownKeys: (t) => {
            reads++;
            return Reflect.ownKeys(t);
          },
        }),
      }));
      const pairing = pairServices(workloads, counting);
      expect([...pairing.servicesOf.values()].every((l) => l.length === 1)).toBe(true);
      // two reads per Service to index it, one per actual candidate to confirm it
      expect(reads).toBeLessThanOrEqual(3 * services.length);
    },
  );
});
