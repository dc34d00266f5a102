// The invariant checker must be able to fail, or the corpus and property runs prove nothing.
import { describe, expect, it } from 'vitest';
import { checkInvariants, checkPolicies, matchesLabelSelector, type Obj } from './invariants.js';
import { objectsOf } from './tools.js';

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
  it('reads merge keys as kubectl does: a Service whose selector is `<<: {app: web}` is svc(8080)', () => {
    const text =
      'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {<<: {app: web}}\n  ports: [{port: 80, targetPort: 8080}]\n';
    const [service] = objectsOf(text);
    expect(service).toEqual(svc(8080));
    // So a Service written that way and left on the app port is caught like any other.
    expect(checkInvariants(input, [deployment([app, waf]), service!], [], opts)).not.toEqual([]);
  });
  it('counts the pods of a kind it does not know (a CloneSet) for pairing, and not a hook', () => {
    const cloneSet: Obj = {
      ...deployment([app], { waf: 'off' }),
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: 'web-kruise' },
    };
    const rewired = checkInvariants([...input, cloneSet], [deployment([app, waf]), svc(8443), cloneSet], [], opts);
    expect(rewired.join('\n')).not.toBe('');
    const hook = {
      ...cloneSet,
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'test', labels: { app: 'web' }, annotations: { 'helm.sh/hook': 'test' } },
      spec: { containers: [app] },
    };
    expect(checkInvariants([...input, hook], [deployment([app, waf]), svc(8443), hook], [], opts)).toEqual([]);
  });
  it('fails objects with and without a namespace side by side when no warning says so', () => {
    const inShop = { ...svc(8080), metadata: { name: 'web', namespace: 'shop' } };
    const said = [
      {
        severity: 'warning',
        message: 'has no namespace, beside objects in namespace shop',
      },
    ];
    expect(checkInvariants([deployment([app]), inShop], [deployment([app]), inShop], [], opts).join('\n')).toMatch(
      /with and without a namespace/,
    );
    expect(
      checkInvariants([deployment([app]), inShop], [deployment([app]), inShop], said, opts).join('\n'),
    ).not.toMatch(/with and without a namespace/);
  });
  it('passes a correct injection', () =>
    expect(checkInvariants(input, [deployment([app, waf]), svc(8443)], [], opts)).toEqual([]));

  describe('pod parts', () => {
    const shared = { name: 'shared', mountPath: '/var/run/shared' };
    const volume = { name: 'shared', emptyDir: {} };
    const parts = { ...opts, appVolumeMounts: [shared], volumes: [volume], imagePullSecrets: ['regcred'] };
    const withParts = (
      containers: Obj[],
      spec: Obj = { volumes: [volume], imagePullSecrets: [{ name: 'regcred' }] },
    ) => {
      const d = deployment(containers);
      Object.assign(d.spec.template.spec, spec);
      return d;
    };
    const mounted = { ...app, volumeMounts: [shared] };
    const wafMounted = { ...waf, volumeMounts: [shared] };
    it("passes the config's mounts, volumes and pull Secrets", () =>
      expect(checkInvariants(input, [withParts([mounted, wafMounted]), svc(8443)], [], parts)).toEqual([]));
    it.each<[string, Obj, RegExp]>([
      [
        'a mount of a volume the pod lacks',
        withParts([mounted, wafMounted], { imagePullSecrets: [{ name: 'regcred' }] }),
        /mounts volume shared, which the pod does not define/,
      ],
      [
        'an app mount the config does not have',
        withParts([{ ...app, volumeMounts: [{ ...shared, readOnly: true }] }, wafMounted]),
        /app containers changed/,
      ],
      [
        'a missing volume of the config',
        withParts([mounted, waf], {
          volumes: [{ name: 'shared', configMap: { name: 'x' } }],
          imagePullSecrets: [{ name: 'regcred' }],
        }),
        /not the volume shared/,
      ],
      [
        'a pull Secret twice',
        withParts([mounted, wafMounted], {
          volumes: [volume],
          imagePullSecrets: [{ name: 'regcred' }, { name: 'regcred' }],
        }),
        /pull Secret regcred exactly once/,
      ],
    ])('fails %s', (_, workload, message) =>
      expect(checkInvariants(input, [workload, svc(8443)], [], parts).join('\n')).toMatch(message),
    );
    it('leaves a dangling mount the input already had to the user', () => {
      const broken = deployment([{ ...app, volumeMounts: [{ name: 'gone', mountPath: '/x' }] }]);
      expect(checkInvariants([broken, svc(8080)], [broken, svc(8080)], [], opts).join('\n')).not.toMatch(/gone/);
    });
  });
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

describe('checkInvariants: the five that had no failing case', () => {
  const named = (name: string, labels: Obj, containers: Obj[]): Obj => ({
    ...deployment(containers, labels as { waf: string }),
    metadata: { name, labels },
  });
  it('flags a workload that is not selected but got the sidecar', () => {
    const before = [deployment([app], { waf: 'off' }), svc(8080)];
    const after = [deployment([app, waf], { waf: 'off' }), svc(8443)];
    expect(checkInvariants(before, after, [], opts).join('\n')).toMatch(/is not selected but got the sidecar/);
  });
  describe('native sidecars (spec.native, and always for Jobs)', () => {
    const native = { ...opts, native: true };
    const nativeWaf = { name: 'waf', image: 'w', restartPolicy: 'Always', ports: [{ containerPort: 8443 }] };
    const withInit = (init: Obj[]) => {
      const d = deployment([app]);
      d.spec.template.spec.initContainers = init;
      return d;
    };
    const job = (init?: Obj[]): Obj => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', labels: { waf: 'on' } },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [app], ...(init ? { initContainers: init } : {}) } },
      },
    });
    const setup = { name: 'setup', image: 's' };
    it('passes a native sidecar first in initContainers, reached by the Service', () =>
      expect(
        checkInvariants([withInit([setup]), svc(8080)], [withInit([nativeWaf, setup]), svc(8443)], [], native),
      ).toEqual([]));
    it('flags one behind the app init containers', () =>
      expect(
        checkInvariants([withInit([setup]), svc(8080)], [withInit([setup, nativeWaf]), svc(8443)], [], native).join(
          '\n',
        ),
      ).toMatch(/not first in initContainers/));
    it('flags one without restartPolicy: Always', () =>
      expect(checkInvariants([withInit([]), svc(8080)], [withInit([waf]), svc(8443)], [], native).join('\n')).toMatch(
        /lacks restartPolicy: Always/,
      ));
    it('flags a regular sidecar in a Job', () =>
      expect(
        checkInvariants(
          [job()],
          [{ ...job(), spec: { template: { spec: { ...job().spec.template.spec, containers: [app, waf] } } } }],
          [],
          {
            ...opts,
            kinds: ['Job'],
          },
        ).join('\n'),
      ).toMatch(/not first in initContainers/));
    it('passes a native sidecar in a Job', () =>
      expect(checkInvariants([job()], [job([nativeWaf])], [], { ...opts, kinds: ['Job'] })).toEqual([]));
    it('flags a workload of a kind the config does not select', () =>
      expect(checkInvariants([job()], [job([nativeWaf])], [], opts).join('\n')).toMatch(/not ours to change/));
  });
  it('flags a sidecar that is not last', () =>
    expect(checkInvariants(input, [deployment([waf, app]), svc(8443)], [], opts).join('\n')).toMatch(/is not last/));
  it('flags a targetPort that is not a listen port', () =>
    expect(checkInvariants(input, [deployment([app, waf]), svc(9999)], [], opts).join('\n')).toMatch(
      /targetPort 9999 is not a listen port/,
    ));
  it('flags a rewired Service that selects no pods', () => {
    const lonely = (targetPort: number) => ({
      ...svc(targetPort),
      spec: { selector: { app: 'none' }, ports: [{ port: 80, targetPort }] },
    });
    expect(checkInvariants([lonely(8080)], [lonely(8443)], [], opts).join('\n')).toMatch(/selects no pods/);
  });
  it('flags the outage: a rewired Service that also selects pods without the sidecar', () => {
    const other = named('other', { waf: 'off' }, [app]);
    const before = [deployment([app]), other, svc(8080)];
    const after = [deployment([app, waf]), other, svc(8443)];
    expect(checkInvariants(before, after, [], opts).join('\n')).toMatch(/rewired but also selects Deployment \/other/);
  });
  it('reads into a v1 List like the function does', () => {
    const list = (items: Obj[]) => ({ apiVersion: 'v1', kind: 'List', items });
    expect(checkInvariants([list(input)], [list([deployment([app, waf]), svc(8443)])], [], opts)).toEqual([]);
    expect(checkInvariants([list(input)], [list([deployment([app, waf, waf]), svc(8443)])], [], opts).join()).toMatch(
      /2 sidecars/,
    );
  });
});

describe("the checker's own selector matcher", () => {
  it.each<[string, Obj, Obj, boolean]>([
    ['empty selects all', {}, { a: '1' }, true],
    ['matchLabels', { matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
    ['matchLabels miss', { matchLabels: { a: '1' } }, { a: '2' }, false],
    ['In', { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
    ['NotIn on an absent key', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {}, true],
    ['NotIn', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }, false],
    ['Exists', { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { b: '1' }, true],
  ])('%s', (_name, selector, labels, expected) => expect(matchesLabelSelector(selector, labels)).toBe(expected));
});

describe('checkPolicies: no rewired path is blocked', () => {
  const policy = (ports: Obj[] | undefined): Obj => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p' },
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [ports ? { ports } : {}] },
  });
  const before = [deployment([app]), svc(8080), policy([{ port: 8080 }])];
  const popts = { sidecarName: 'waf' };
  it('passes a policy that follows', () =>
    expect(
      checkPolicies(before, [deployment([app, waf]), svc(8443), policy([{ port: 8080 }, { port: 8443 }])], popts),
    ).toEqual([]));
  it('flags a policy that still admits only the app port', () =>
    expect(checkPolicies(before, [deployment([app, waf]), svc(8443), policy([{ port: 8080 }])], popts).join()).toMatch(
      /admitted the app port .* but not its listen port 8443/,
    ));
  it('flags an app port left open after replace', () =>
    expect(
      checkPolicies(before, [deployment([app, waf]), svc(8443), policy([{ port: 8080 }, { port: 8443 }])], {
        ...popts,
        replaced: true,
      }).join(),
    ).toMatch(/still admits the app port/));
  it('flags a policy changed beyond its ingress ports', () => {
    const changed = {
      ...policy([{ port: 8080 }, { port: 8443 }]),
      spec: { podSelector: {}, ingress: [{ ports: [{ port: 8443 }] }] },
    };
    expect(checkInvariants(before, [deployment([app, waf]), svc(8443), changed], [], opts).join()).toMatch(
      /changed beyond its ingress ports/,
    );
  });
});

describe('checkInvariants under capture: redirect', () => {
  const redirectOpts = { ...opts, capture: 'redirect' as const };
  const status = JSON.stringify({
    waf: { container: 'waf', ports: [{ appPort: 8080, listenPort: 8443, protocol: 'TCP' }], redirect: 'waf-redirect' },
  });
  const rule = (from: number, to: number) =>
    `iptables -t nat -A PREROUTING -p tcp -d "$POD_IP" --dport ${from} -j REDIRECT --to-ports ${to}`;
  const redirect = (rules = [rule(8080, 8443)]): Obj => ({
    name: 'waf-redirect',
    image: 'i',
    command: ['/bin/sh', '-c', ['set -e', ...rules].join('\n')],
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
  });
  const redirected = (init: Obj[], containers = [app, waf]): Obj => {
    const d = deployment(containers);
    d.spec.template.metadata.annotations = { 'inject-sidecar.dev/status': status };
    d.spec.template.spec.initContainers = init;
    return d;
  };
  const np = (port: number): Obj => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web' },
    spec: { podSelector: {}, ingress: [{ ports: [{ port }] }] },
  });
  it('passes one redirect, first, with one rule per fronted port, and the Service as written', () =>
    expect(checkInvariants(input, [redirected([redirect()]), svc(8080)], [], redirectOpts)).toEqual([]));
  it('flags a rewired Service', () =>
    expect(checkInvariants(input, [redirected([redirect()]), svc(8443)], [], redirectOpts).join()).toMatch(
      /Service \/web changed under capture: redirect/,
    ));
  it('flags a changed NetworkPolicy', () =>
    expect(
      checkInvariants([...input, np(8080)], [redirected([redirect()]), svc(8080), np(8443)], [], redirectOpts).join(),
    ).toMatch(/NetworkPolicy \/web changed under capture: redirect/));
  it('flags a missing redirect, and one not first', () => {
    expect(checkInvariants(input, [redirected([]), svc(8080)], [], redirectOpts).join()).toMatch(/0 redirect init/);
    const setup = { name: 'setup', image: 's' };
    const before = deployment([app]);
    before.spec.template.spec.initContainers = [setup];
    expect(
      checkInvariants([before, svc(8080)], [redirected([setup, redirect()]), svc(8080)], [], redirectOpts).join(),
    ).toMatch(/is not first/);
  });
  it('flags rules that are not the fronted ports: one missing, one extra, a wrong listen port', () => {
    for (const rules of [[], [rule(8080, 8443), rule(9090, 8443)], [rule(8080, 9443)]])
      expect(checkInvariants(input, [redirected([redirect(rules)]), svc(8080)], [], redirectOpts).join()).toMatch(
        /the redirect's rules/,
      );
  });
  it('flags a listen port the sidecar does not open', () =>
    expect(
      checkInvariants(
        input,
        [redirected([redirect()], [app, { ...waf, ports: [] }]), svc(8080)],
        [],
        redirectOpts,
      ).join(),
    ).toMatch(/which the sidecar does not open/));
  it('flags a redirect left behind without capture: redirect', () =>
    expect(checkInvariants(input, [redirected([redirect()]), svc(8443)], [], opts).join()).toMatch(
      /redirect init container, but no port is redirected/,
    ));
});
