// The invariant checker must be able to fail, or the corpus and property runs prove nothing.
import { describe, expect, it } from 'vitest';
import { checkInvariants, type Obj } from './invariants.js';

const deployment = (containers: Obj[], labels = { waf: 'on' }): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
  },
});
const app = { name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] };
const waf = { name: 'waf', image: 'w', ports: [{ containerPort: 8443 }] };
const svc = (targetPort: number, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort }], ...extra },
});
const opts = { sidecarName: 'waf', listenPorts: [8443], selected: (w: Obj) => w.metadata.labels?.waf === 'on' };
const input = [deployment([app]), svc(8080)];

describe('checkInvariants', () => {
  it('passes a correct injection', () =>
    expect(checkInvariants(input, [deployment([app, waf]), svc(8443)], [], opts)).toEqual([]));
  it.each<[string, Obj[], RegExp]>([
    ['a lost item', [deployment([app, waf])], /items differ/],
    ['two sidecars', [deployment([app, waf, waf]), svc(8443)], /2 sidecars/],
    ['an app container changed', [deployment([{ ...app, image: 'y' }, waf]), svc(8443)], /app containers changed/],
    [
      'a Service rewired to a port the pod does not open',
      [deployment([app, { ...waf, ports: [{ containerPort: 9443 }] }]), svc(8443)],
      /does not open/,
    ],
    ['a Service left on the app port without a warning', [deployment([app, waf]), svc(8080)], /without a warning/],
    ['a headless Service rewired', [deployment([app, waf]), svc(8443, { clusterIP: 'None' })], /headless/],
    ['a selected workload skipped silently', [deployment([app]), svc(8080)], /no sidecar and no warning/],
    [
      'more than targetPort changed',
      [
        deployment([app, waf]),
        { ...svc(8443), spec: { selector: { app: 'web' }, ports: [{ port: 81, targetPort: 8443 }] } },
      ],
      /more than targetPort/,
    ],
    [
      'a port name shared in the pod',
      [deployment([app, { ...waf, ports: [{ name: 'http', containerPort: 8443 }] }]), svc(8443)],
      /port name http used by/,
    ],
    [
      'invalid Kubernetes',
      [deployment([app, { ...waf, ports: [{ containerPort: '8443' }] }]), svc(8443)],
      /is not valid/,
    ],
  ])('flags %s', (_name, output, expected) =>
    expect(checkInvariants(input, output, [], opts).join('\n')).toMatch(expected),
  );
  it('flags a change to another kind', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    expect(checkInvariants([cm], [{ ...cm, data: { a: '2' } }], [], opts).join()).toMatch(/not ours to change/);
  });
});
