// The policy step, on plain data: what it reads grows with the policies and the pods of their own
// namespace, not with every workload of the input.
import { describe, expect, it } from 'vitest';
import type { InjectionConfig } from '../src/config/schema.js';
import type { NetworkPolicy } from '../src/objects/network-policy.js';
import { planPolicies } from '../src/plan/policies.js';
import { workloadSeenBy } from '../src/plan/seen-by.js';
import { planned } from '../src/plan/workload.js';
import { workload } from './helpers.js';

const config: InjectionConfig = {
  name: 'waf',
  selector: {},
  container: { name: 'waf', image: 'w' },
  ports: [{ appPort: 8080, listenPort: 8443, protocol: 'TCP' }],
  kinds: ['Deployment'],
  networkPolicies: 'follow',
  mode: 'inject',
};
const policy = (name: string, namespace: string, podLabels: Record<string, string>): NetworkPolicy => ({
  others: {},
  ref: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name, namespace },
  order: 0,
  at: { item: 0, path: [] },
  podSelector: { matchLabels: podLabels },
  restrictsIngress: true,
  rules: [[{ port: 8080 }]],
  records: {},
  current: { rules: [[{ port: 8080 }]] },
});

describe('planPolicies', () => {
  it('adds the listen port to the rule of the policy over an injected pod', () => {
    const w = workloadSeenBy('waf', workload('web', { namespace: 'shop', podLabels: { app: 'web' } }));
    const mappings = [{ entry: 0, appPort: 8080, listenPort: 8443, protocol: 'TCP' as const }];
    const { plans } = planPolicies(config, [policy('web', 'shop', { app: 'web' })], [planned(w, mappings)]);
    expect(plans[0]!.rules).toEqual([[{ port: 8080 }, { port: 8443 }]]);
  });
  it("looks at the pods of each policy's own namespace only, not at every workload", () => {
    // 2,000 workloads in 2,000 namespaces, one policy each: a scan of all workloads per policy
    // would read a workload's namespace 2,000 times.
    let reads = 0;
    const mappings = [{ entry: 0, appPort: 8080, listenPort: 8443, protocol: 'TCP' as const }];
    const apps = Array.from({ length: 2000 }, (_, i) => {
      const w = workloadSeenBy('waf', workload(`w${i}`, { namespace: `ns${i}`, podLabels: { app: 'web' } }));
      const ref = new Proxy(w.ref, {
        get: (t, k) => {
          if (k === 'namespace') reads++;
          return Reflect.get(t, k);
        },
      });
      return planned({ ...w, ref }, mappings);
    });
    const policies = apps.map((_, i) => policy(`p${i}`, `ns${i}`, { app: 'web' }));
    const { plans } = planPolicies(config, policies, apps);
    expect(plans.every((p) => p.rules[0]!.length === 2)).toBe(true);
    expect(reads).toBeLessThanOrEqual(4 * apps.length);
  });
  it.each(['follow', 'generate'] as const)(
    'with a policy per app in one namespace, matches each policy against its own pods only (%s)',
    (networkPolicies) => {
      // 2,000 apps in one namespace: matching every policy against every workload would read pod
      // labels 4,000,000 times.
      let reads = 0;
      const mappings = [{ entry: 0, appPort: 8080, listenPort: 8443, protocol: 'TCP' as const }];
      const apps = Array.from({ length: 2000 }, (_, i) => {
        const w = workloadSeenBy(
          'waf',
          workload(`w${i}`, { namespace: 'shop', podLabels: { app: `a${i}`, team: 'shop' } }),
        );
        const podLabels = new Proxy(w.podLabels, {
          ownKeys: (t) => {
            reads++;
            return Reflect.ownKeys(t);
          },
          get: (t, k) => {
            reads++;
            return Reflect.get(t, k);
          },
        });
        return planned({ ...w, podLabels }, mappings);
      });
      const policies = apps.map((_, i) => policy(`p${i}`, 'shop', { app: `a${i}`, team: 'shop' }));
      const { plans, generated } = planPolicies({ ...config, networkPolicies }, policies, apps);
      // follow admits the listen port beside the app port; generate (replace and generate) in its place.
      expect(plans.every((p) => p.rules[0]!.length === (networkPolicies === 'follow' ? 2 : 1))).toBe(true);
      expect(generated).toEqual([]); // every app has its policy
      expect(reads).toBeLessThanOrEqual(12 * apps.length);
    },
  );
});
