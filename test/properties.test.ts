// Property tests: random packages and configs, checked against the invariants, idempotence,
// order independence, reversibility, upgrades, and "never throws". NUM_RUNS sets the size (npm
// run test:deep runs many more). Services are drawn from the workloads' own pod labels, so
// pairing and rewiring are common; the reach of each path is printed once per run.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunOutput, runResourceList, runStream } from '../src/run.js';
import { checkInvariants, checkPolicies, type Finding, matchesLabelSelector, type Obj } from './invariants.js';
import { objectsOf } from './tools.js';

const numRuns = Number(process.env.NUM_RUNS ?? 250);
const APP_PORTS = [80, 3000, 5000, 8080, 9090];
const labelKey = fc.constantFrom('app', 'tier', 'waf');
const labelValue = fc.constantFrom('web', 'on');
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 });
const namespace = fc.constantFrom(undefined, undefined, 'shop', 'ops');

const containerPort = fc.record({
  containerPort: fc.constantFrom(8080, 8080, 8080, ...APP_PORTS),
  name: fc.constantFrom(undefined, 'http', 'http', 'metrics', 'grpc'),
  protocol: fc.constantFrom(undefined, undefined, undefined, undefined, undefined, 'UDP'),
});
const container = (name: string) =>
  fc.record({
    name: fc.constant(name),
    image: fc.constant(`example/${name}:1`),
    ports: fc.uniqueArray(containerPort, {
      selector: (p) => p.containerPort,
      minLength: name === 'app' ? 1 : 0,
      maxLength: 2,
    }),
  });

/** Port numbers and names declared once in a pod, as Kubernetes requires. */
function uniquePorts<C extends { name: string; image: string; ports: Obj[] }>(containers: C[]): Obj[] {
  const seenNumbers = new Set<number>();
  const seenNames = new Set<string>();
  return containers.map((c) => {
    // One pass: a port is checked against every port kept before it, in this container too.
    const ports = c.ports.flatMap((p) => {
      if (seenNumbers.has(p.containerPort) || (p.name !== undefined && seenNames.has(p.name))) return [];
      seenNumbers.add(p.containerPort);
      if (p.name) seenNames.add(p.name);
      return [Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))];
    });
    return ports.length ? { ...c, ports } : { name: c.name, image: c.image };
  });
}

// What a config may bring into the pod (spec.volumes and friends) and what it lets a workload set.
const SHARED_MOUNT = { name: 'shared', mountPath: '/var/run/shared' };
/** The config's shared volume as a pod may have it already: the same (used as it is), or another (an error). */
const OWN_SHARED = { name: 'shared', emptyDir: {} };
const OTHER_SHARED = { name: 'shared', configMap: { name: 'x' } };
const POD_PARTS = {
  volumes: [{ name: 'cache', emptyDir: {} }, OWN_SHARED],
  appVolumeMounts: [SHARED_MOUNT],
  imagePullSecrets: [{ name: 'regcred' }],
  overrides: { resources: true, env: { MODE: ['monitoring', 'block'] } },
};
const OVERRIDE_ANNOTATIONS: Record<string, string>[] = [
  { 'waf.inject-sidecar.dev/env.MODE': 'block' },
  { 'waf.inject-sidecar.dev/env.MODE': 'off' },
  { 'waf.inject-sidecar.dev/resources': '{"requests": {"cpu": "1"}}' },
  { 'waf.inject-sidecar.dev/image': 'other:1' },
];

const workload = (i: number) =>
  fc
    .record({
      namespace,
      labels,
      podLabels: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 }),
      // Most workloads have a label of their own, as real ones do, so a Service can pick one out.
      ownLabel: fc.constantFrom(true, true, false),
      optOut: fc.constantFrom(false, false, false, false, false, true),
      appPortAnnotation: fc.constantFrom(undefined, undefined, 'http', '5000'),
      containers: fc.tuple(container('app'), fc.option(container('helper'), { nil: undefined })),
      init: fc.option(container('init'), { nil: undefined }),
      kind: fc.constantFrom(...Array(7).fill('Deployment'), 'StatefulSet'),
      // Parts of its own: the pull Secret the configs also bring, a volume under a name they use.
      pullSecret: fc.constantFrom(false, false, false, true),
      ownVolume: fc.constantFrom<Obj | undefined>(undefined, undefined, undefined, OWN_SHARED, OTHER_SHARED),
      override: fc.constantFrom<Record<string, string>>({}, {}, {}, ...OVERRIDE_ANNOTATIONS),
    })
    .map((w) => {
      const podLabels = w.ownLabel ? { ...w.podLabels, app: `w${i}` } : w.podLabels;
      const all = uniquePorts([...w.containers, w.init].filter((c) => c !== undefined));
      const containers = all.filter((c) => c.name !== 'init');
      const initContainers = all.filter((c) => c.name === 'init');
      const annotations: Record<string, string> = { ...w.override };
      if (w.optOut) annotations['inject-sidecar.dev/inject'] = 'false';
      if (w.appPortAnnotation) annotations['inject-sidecar.dev/app-port'] = w.appPortAnnotation;
      const metadata = {
        name: `w${i}`,
        ...(w.namespace ? { namespace: w.namespace } : {}),
        ...(Object.keys(w.labels).length ? { labels: w.labels } : {}),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      };
      const podSpec = {
        containers,
        ...(initContainers.length ? { initContainers } : {}),
        ...(w.ownVolume ? { volumes: [w.ownVolume] } : {}),
        ...(w.pullSecret ? { imagePullSecrets: [{ name: 'regcred' }] } : {}),
      };
      return {
        apiVersion: 'apps/v1',
        kind: w.kind,
        metadata,
        spec: {
          selector: { matchLabels: podLabels },
          template: { metadata: { labels: podLabels }, spec: podSpec },
        },
      } as Obj;
    });

/** A Service over one of the workloads: a subset of its pod labels, in its namespace (mostly). */
const service = (i: number, workloads: Obj[]) =>
  fc
    .record({
      of: fc.nat(workloads.length - 1),
      keep: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      strayNamespace: fc.constantFrom(...Array(7).fill(false), true),
      // The first port of most Services targets the app's usual port, as in real packages.
      usual: fc.constantFrom<number | string | undefined>(8080, 'http', 8080, undefined),
      headless: fc.constantFrom(false, false, false, false, false, true),
      ports: fc.uniqueArray(
        fc.record({
          port: fc.constantFrom(8080, 8080, ...APP_PORTS, 443),
          target: fc.constantFrom<'omit' | 0 | number | string>(
            'omit',
            0,
            8080,
            8080,
            'http',
            'http',
            ...APP_PORTS,
            'metrics',
          ),
          udp: fc.constantFrom(false, false, false, false, true),
        }),
        { selector: (p) => p.port, minLength: 1, maxLength: 3 },
      ),
    })
    .map((s) => {
      const w = workloads[s.of]!;
      const podLabels = Object.entries(w.spec.template.metadata.labels as Record<string, string>);
      // Its own label when it has one, and some of the shared ones.
      const own = podLabels.findIndex(([, v]) => /^w\d+$/.test(v));
      const selector = Object.fromEntries(podLabels.filter((_, k) => s.keep[k] || k === Math.max(own, 0)));
      const ns = s.strayNamespace ? (w.metadata.namespace ? undefined : 'ops') : w.metadata.namespace;
      return {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `s${i}`, ...(ns ? { namespace: ns } : {}) },
        spec: {
          ...(s.headless ? { clusterIP: 'None' } : {}),
          selector,
          ports: s.ports.map((p, j) => ({
            name: `p${j}`,
            port: p.port,
            ...(p.udp ? { protocol: 'UDP' } : {}),
            ...(j === 0 && s.usual !== undefined
              ? { targetPort: s.usual }
              : p.target === 'omit'
                ? {}
                : { targetPort: p.target }),
          })),
        },
      } as Obj;
    });

const unrelated = (i: number) =>
  fc
    .record({ a: fc.string({ maxLength: 5 }), b: fc.constantFrom('on', '0755', 'yes') })
    .map((data) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data }) as Obj);

const plain = <T>(o: T): T => JSON.parse(JSON.stringify(o)); // fast-check may build null-prototype objects
const tupleOf = <T>(n: number, make: (i: number) => fc.Arbitrary<T>) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => make(i)));
const pkg = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 }))
  .chain(([w, s, u]) =>
    tupleOf(w, workload).chain((ws) =>
      fc.tuple(
        fc.constant(ws),
        tupleOf(s, (i) => service(i, ws)),
        tupleOf(u, unrelated),
      ),
    ),
  )
  .chain(([ws, ss, us]) =>
    fc.shuffledSubarray([...ws, ...ss, ...us] as Obj[], { minLength: ws.length + ss.length + us.length }),
  )
  .map(plain);

const selector = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  fc.record({ matchLabels: labels }),
  fc.record({
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({ key: labelKey, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
        fc.record({
          key: labelKey,
          operator: fc.constantFrom('In', 'NotIn'),
          values: fc.uniqueArray(labelValue, { minLength: 1 }),
        }),
      ),
      { maxLength: 2 },
    ),
  }),
);
const portEntries = fc.constantFrom<Obj[]>(
  [{ appPort: 8080, listenPort: 18443 }],
  [{ appPort: 8080, listenPort: 18443 }],
  [{ listenPort: 18443 }],
  [{ appPort: 'http', listenPort: 18443, name: 'waf-http' }],
  [{ listenPort: 18443 }],
  [{ appPort: 8080, listenPort: 18443, protocol: 'UDP' }],
  [
    { appPort: 'http', listenPort: 18443 },
    { appPort: 5000, listenPort: 18444 },
  ],
);
const sidecarInjection = fc
  .record({
    image: fc.constantFrom('w:1', 'w:2'),
    selector,
    namespaces: fc.constantFrom(undefined, undefined, undefined, undefined, undefined, ['shop'], ['shop', 'ops']),
    ports: portEntries,
    parts: fc.constantFrom(false, true),
    redirect: fc.constantFrom(false, false, false, false, true),
    native: fc.constantFrom(undefined, undefined, true),
  })
  .map((c) => ({
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: c.selector,
      ...(c.namespaces ? { namespaces: c.namespaces } : {}),
      container: {
        name: 'waf',
        image: c.image,
        ...(c.parts ? { volumeMounts: [{ name: 'cache', mountPath: '/var/cache/waf' }, SHARED_MOUNT] } : {}),
      },
      ports: c.ports,
      ...(c.parts ? POD_PARTS : {}),
      ...(c.redirect ? { capture: 'redirect', redirect: { image: 'example/iptables:1' } } : {}),
      ...(c.native ? { native: true } : {}),
    },
  }));

/** The ConfigMap form of a one-entry config with a matchLabels selector, as kpt fn eval sends it. */
function asConfigMap(cfg: Obj): Obj | undefined {
  const { selector: s, ports, namespaces, container } = cfg.spec;
  if (ports.length !== 1 || s.matchExpressions || cfg.spec.volumes) return undefined;
  const redirect: Record<string, string> =
    cfg.spec.capture === 'redirect' ? { capture: 'redirect', redirectImage: cfg.spec.redirect.image } : {};
  const native: Record<string, string> = cfg.spec.native ? { native: 'true' } : {};
  const [p] = ports;
  const data: Record<string, string> = {
    selector: Object.entries(s.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    name: container.name,
    image: container.image,
    listenPort: String(p.listenPort),
    ...(p.appPort !== undefined ? { appPort: String(p.appPort) } : {}),
    ...(p.name ? { portName: p.name } : {}),
    ...(p.protocol ? { protocol: p.protocol } : {}),
    ...(namespaces ? { namespaces: namespaces.join(',') } : {}),
    ...redirect,
    ...native,
  };
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'waf' }, data };
}
const config = fc
  .tuple(sidecarInjection, fc.constantFrom(false, false, true))
  .map(([cfg, useConfigMap]) => (useConfigMap ? (asConfigMap(cfg) ?? cfg) : cfg));
const selectorOf = (cfg: Obj) => cfg.spec?.selector ?? undefined;

/** YAML text with a comment on every document. */
const toYaml = (objs: Obj[]) => objs.map((o, i) => `# item ${i}\n${stringify(o)}`).join('---\n');
/** The same objects as a ResourceList with a real block list of items, each with its comment. */
const toResourceList = (objs: Obj[], cfg: Obj) =>
  `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${objs
    .map((o, i) => `- # item ${i}\n${stringify(o).replace(/^/gm, '  ')}`.trimEnd())
    .join('\n')}\nfunctionConfig:\n${stringify(cfg).replace(/^/gm, '  ')}`;
const selectedBy = (cfg: Obj) => (w: Obj) => {
  if (w.kind !== 'Deployment') return false;
  const s = selectorOf(cfg);
  const spec = cfg.spec ?? { namespaces: cfg.data.namespaces?.split(',') };
  const byLabels = s
    ? matchesLabelSelector(s, w.metadata.labels)
    : configMapSelects(cfg.data.selector, w.metadata.labels);
  return (
    byLabels &&
    (!spec.namespaces || spec.namespaces.includes(w.metadata.namespace ?? '')) &&
    w.metadata.annotations?.['inject-sidecar.dev/inject'] !== 'false'
  );
};
const configMapSelects = (selector: string, labels: Obj = {}) =>
  selector === '' || selector.split(',').every((pair) => labels[pair.split('=')[0]!] === pair.split('=')[1]);
const findingsOf = (results: Obj[]): Finding[] =>
  results.map((r) => ({
    severity: r.severity,
    kind: r.resourceRef?.kind,
    name: r.resourceRef?.name,
    namespace: r.resourceRef?.namespace,
    message: r.message,
  }));
const listenPortsOf = (cfg: Obj) =>
  cfg.data ? [Number(cfg.data.listenPort)] : cfg.spec.ports.map((p: Obj) => p.listenPort);
const sidecarNameOf = (cfg: Obj) => (cfg.data ? cfg.data.name : cfg.spec.container.name);
const captureOf = (cfg: Obj) => (cfg.data ? cfg.data.capture : cfg.spec.capture);
const nativeOf = (cfg: Obj) => (cfg.data ? cfg.data.native === 'true' : cfg.spec.native);

/** The pod parts a config brings, as the invariants check them. */
const partsOf = (cfg: Obj) =>
  cfg.spec?.volumes
    ? {
        volumes: cfg.spec.volumes,
        appVolumeMounts: cfg.spec.appVolumeMounts,
        imagePullSecrets: cfg.spec.imagePullSecrets.map((r: Obj) => r.name),
      }
    : {};

const transformed = (objs: Obj[], cfg: Obj) => runStream(stringify(cfg), 'config', toYaml(objs));

// How often each path is reached, printed once per run: a property proves little about a path
// its generators rarely reach.
const reach = new Map<string, number>();
let cases = 0;
function count(out: RunOutput, cfg: Obj) {
  cases++;
  const seen = new Set<string>();
  const saw = (path: string, when: boolean) => when && seen.add(path);
  saw('error', out.exitCode === 1);
  saw(
    'injected',
    out.results.some((r) => r.message.startsWith('sidecar ')),
  );
  saw(
    'rewired',
    out.results.some((r) => / -> \d+ \(sidecar\)/.test(r.message)),
  );
  saw(
    'rewired a named targetPort',
    out.results.some((r) => /targetPort "[a-z]+" -> /.test(r.message)),
  );
  saw(
    'mixed Service',
    out.results.some((r) => /also selects pods/.test(r.message)),
  );
  saw(
    'headless Service',
    out.results.some((r) => /headless/.test(r.message)),
  );
  saw(
    'bypass warning',
    out.results.some((r) => /bypasses the sidecar/.test(r.message)),
  );
  saw(
    'no app port',
    out.results.some((r) => /left without a sidecar/.test(r.message)),
  );
  saw('pod parts added', out.exitCode === 0 && /"appVolumeMounts":\[\{/.test(out.stdout));
  saw(
    'override applied',
    out.results.some((r) => / from annotation /.test(r.message)),
  );
  saw(
    'override refused',
    out.results.some((r) => /the config's value stays/.test(r.message)),
  );
  saw(
    'pod part collides',
    out.results.some((r) => /collides with the pod's volume/.test(r.message)),
  );
  saw('UDP entry', JSON.stringify(cfg).includes('UDP'));
  saw(
    'redirected',
    out.results.some((r) => /redirects the pod IP's app ports/.test(r.message)),
  );
  saw('capture: service', captureOf(cfg) !== 'redirect');
  saw('ConfigMap form', cfg.kind === 'ConfigMap');
  saw('In/NotIn', /"(In|NotIn)"/.test(JSON.stringify(cfg)));
  for (const path of seen) reach.set(path, (reach.get(path) ?? 0) + 1);
}
afterAll(() => {
  if (!cases) return;
  const rows = [...reach]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, n]) => `  ${p.padEnd(28)} ${((100 * n) / cases).toFixed(1)}%`);
  console.log(`property reach over ${cases} cases:\n${rows.join('\n')}`);
});

/** A NetworkPolicy over one of the workloads, with ingress rules by number, name, range or all ports. */
const networkPolicy = (i: number, workloads: Obj[]) =>
  fc
    .record({
      of: fc.nat(workloads.length - 1),
      selectAll: fc.constantFrom(false, false, false, true),
      rules: fc.array(
        fc.oneof(
          fc.constant(undefined),
          fc.array(
            fc.oneof(
              fc.record({ port: fc.constantFrom(...APP_PORTS, 8080, 8080) }),
              fc.record({ port: fc.constantFrom('http', 'metrics') }),
              fc.record({ port: fc.constantFrom(7000, 8000), endPort: fc.constantFrom(8100, 9000) }),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        ),
        { minLength: 1, maxLength: 2 },
      ),
    })
    .map((p) => {
      const w = workloads[p.of]!;
      return {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `np${i}`, ...(w.metadata.namespace ? { namespace: w.metadata.namespace } : {}) },
        spec: {
          podSelector: p.selectAll ? {} : { matchLabels: w.spec.template.metadata.labels },
          ingress: p.rules.map((ports) => (ports ? { ports } : {})),
        },
      } as Obj;
    });
const withPolicies = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))
  .chain(([w, s, n]) =>
    tupleOf(w, workload).chain((ws) =>
      fc.tuple(
        fc.constant(ws),
        tupleOf(s, (i) => service(i, ws)),
        tupleOf(n, (i) => networkPolicy(i, ws)),
      ),
    ),
  )
  .map(([ws, ss, ns]) => plain([...ws, ...ss, ...ns] as Obj[]));

describe('properties', () => {
  it('keeps the invariants on random packages, and a second run changes nothing', () => {
    const before = cases;
    fc.assert(
      fc.property(pkg, config, (objs, cfg) => {
        const out = transformed(objs, cfg);
        count(out, cfg);
        if (out.exitCode === 1) {
          // The only errors these packages can cause: port collisions in a pod, two entries on one app port.
          const errors = out.results.filter((r) => r.severity === 'error');
          expect(errors.length).toBeGreaterThan(0);
          for (const r of errors)
            expect(r.message).toMatch(/collides|already used|already mounts|both resolve to app port/);
          expect(out.stdout).toBe('');
          return;
        }
        const broken = checkInvariants(objs, objectsOf(out.stdout), findingsOf(out.results), {
          sidecarName: sidecarNameOf(cfg),
          listenPorts: listenPortsOf(cfg),
          selected: selectedBy(cfg),
          capture: captureOf(cfg),
          native: nativeOf(cfg),
          ...partsOf(cfg),
        });
        expect(broken).toEqual([]);
        expect(runStream(stringify(cfg), 'config', out.stdout).stdout).toBe(out.stdout);
      }),
      { numRuns },
    );
    // The generators must reach the heart of the product, or the property proves little.
    const ran = cases - before;
    expect((reach.get('injected') ?? 0) / ran).toBeGreaterThan(0.3);
    // Rewiring is capture: service's; a fifth of the configs redirect instead.
    expect((reach.get('rewired') ?? 0) / (reach.get('capture: service') ?? 1)).toBeGreaterThan(0.2);
    for (const path of ['pod parts added', 'override applied', 'override refused', 'pod part collides', 'redirected'])
      expect((reach.get(path) ?? 0) / ran, path).toBeGreaterThan(0.02);
  });

  it('gives the same objects in a ResourceList as in a plain stream', () => {
    fc.assert(
      fc.property(pkg, config, (objs, cfg) => {
        const stream = transformed(objs, cfg);
        const list = runResourceList(toResourceList(objs, cfg));
        expect(list.exitCode).toBe(stream.exitCode);
        if (stream.exitCode === 1) return;
        expect(objectsOf(list.stdout)[0]!.items).toEqual(objectsOf(stream.stdout));
        // A second run on the printed list changes none of its items.
        const again = runResourceList(list.stdout.replace(/^results:\n[\s\S]*$/m, ''));
        expect(objectsOf(again.stdout)[0]!.items).toEqual(objectsOf(list.stdout)[0]!.items);
      }),
      { numRuns },
    );
  });

  it('gives the same objects whatever the order of the items', () => {
    fc.assert(
      fc.property(pkg, config, fc.integer({ min: 0 }), (objs, cfg, seed) => {
        // Any rotation, so a Service moves before or after its workload.
        const by = seed % objs.length;
        const moved = [...objs.slice(by), ...objs.slice(0, by)];
        const a = transformed(objs, cfg);
        const b = transformed(moved, cfg);
        expect(b.exitCode).toBe(a.exitCode);
        const byId = (text: string) =>
          Object.fromEntries(objectsOf(text).map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]));
        expect(byId(b.stdout)).toEqual(byId(a.stdout));
      }),
      { numRuns },
    );
  });

  it('upgrades: config A then config B gives what config B gives from scratch', () => {
    fc.assert(
      fc.property(pkg, sidecarInjection, sidecarInjection, (objs, a, b) => {
        const first = transformed(objs, a);
        fc.pre(first.exitCode === 0);
        const fromScratch = transformed(objs, b);
        const upgraded = runStream(stringify(b), 'config', first.stdout);
        expect(upgraded.exitCode).toBe(fromScratch.exitCode);
        if (fromScratch.exitCode === 0) expect(objectsOf(upgraded.stdout)).toEqual(objectsOf(fromScratch.stdout));
      }),
      { numRuns },
    );
  });

  it('gives back the input when the workloads are deselected', () => {
    fc.assert(
      fc.property(pkg, sidecarInjection, (objs, cfg) => {
        const input = toYaml(objs);
        const out = runStream(stringify(cfg), 'config', input);
        fc.pre(out.exitCode === 0);
        const nothing = { ...cfg, spec: { ...cfg.spec, selector: { matchLabels: { 'never-set': 'x' } } } };
        expect(runStream(stringify(nothing), 'config', out.stdout).stdout).toBe(input);
      }),
      { numRuns },
    );
  });

  it('NetworkPolicies: no rewired path is blocked, replace leaves no app port, a second run changes nothing', () => {
    let rewiredThroughPolicy = 0;
    let serviceCapture = 0;
    fc.assert(
      fc.property(
        withPolicies,
        sidecarInjection,
        fc.constantFrom('follow', 'replace', 'generate'),
        (objs, cfg, mode) => {
          const withMode = { ...cfg, spec: { ...cfg.spec, networkPolicies: mode } };
          const out = transformed(objs, withMode);
          if (out.exitCode === 1) return;
          const output = objectsOf(out.stdout);
          const broken = [
            ...checkInvariants(objs, output.slice(0, objs.length), findingsOf(out.results), {
              sidecarName: 'waf',
              listenPorts: listenPortsOf(cfg),
              selected: selectedBy(cfg),
              capture: captureOf(cfg),
              native: nativeOf(cfg),
              ...partsOf(cfg),
            }),
            ...checkPolicies(objs, output.slice(0, objs.length), { sidecarName: 'waf', replaced: mode === 'replace' }),
          ];
          expect(broken).toEqual([]);
          expect(runStream(stringify(withMode), 'config', out.stdout).stdout).toBe(out.stdout);
          if (out.results.some((r) => /admits listen port/.test(r.message))) rewiredThroughPolicy++;
          if (captureOf(cfg) !== 'redirect') serviceCapture++;
        },
      ),
      { numRuns },
    );
    // Policies follow rewired Services only under capture: service; a fifth of the configs redirect.
    expect(rewiredThroughPolicy / serviceCapture).toBeGreaterThan(0.1);
  });

  it('never throws: random bytes in, a clean result out', () => {
    const mangled = (text: string) =>
      fc
        .tuple(fc.nat(text.length), fc.string({ maxLength: 3 }))
        .map(([at, s]) => text.slice(0, at) + s + text.slice(at + 1));
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => ({ stream: s, list: s })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ stream: s, list: s })),
      fc
        .tuple(pkg, config)
        .chain(([objs, cfg]) =>
          fc
            .tuple(mangled(toYaml(objs)), mangled(toResourceList(objs, cfg)))
            .map(([stream, list]) => ({ stream, list })),
        ),
    );
    fc.assert(
      fc.property(garbage, config, ({ stream, list }, cfg) => {
        for (const out of [runStream(stringify(cfg), 'config', stream), runResourceList(list)]) {
          if (out.exitCode === 0) continue;
          expect(out.stderr).toMatch(/^inject-sidecar: error: /m);
          expect(out.stderr).not.toMatch(/internal error/);
          expect(out.results.length).toBeGreaterThan(0);
          expect(out.results.every((r) => r.severity !== 'info')).toBe(true);
        }
      }),
      { numRuns },
    );
  });
});
