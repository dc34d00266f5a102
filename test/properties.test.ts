// Property tests: random packages and configs, checked against the invariants, idempotence,
// order independence, reversibility, and "never throws". NUM_RUNS sets the size (npm run
// test:deep runs many more).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { runResourceList, runStream } from '../src/run.js';
import { checkInvariants, type Finding, matchesLabelSelector, type Obj } from './invariants.js';

const numRuns = Number(process.env.NUM_RUNS ?? 250);
const APP_PORTS = [80, 3000, 5000, 8080, 9090];
const LISTEN_PORTS = [18443, 18444];
const labelKey = fc.constantFrom('app', 'tier', 'waf');
const labelValue = fc.constantFrom('web', 'on');
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 });
const namespace = fc.constantFrom(undefined, undefined, 'shop', 'ops');

const container = (name: string) =>
  fc.record({
    name: fc.constant(name),
    image: fc.constant(`example/${name}:1`),
    ports: fc.uniqueArray(
      fc.record({
        containerPort: fc.constantFrom(8080, ...APP_PORTS),
        name: fc.constantFrom(undefined, 'http', 'http', 'metrics', 'grpc'),
      }),
      {
        selector: (p) => p.containerPort,
        minLength: name === 'app' ? 1 : 0,
        maxLength: 2,
      },
    ),
  });

const workload = (i: number) =>
  fc
    .record({
      namespace,
      labels,
      podLabels: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 }),
      optOut: fc.constantFrom(false, false, false, true),
      appPortAnnotation: fc.constantFrom(undefined, 'http', '5000'),
      containers: fc.tuple(container('app'), fc.option(container('helper'), { nil: undefined })),
    })
    .map((w) => {
      // A port number or name is declared once in a pod, as Kubernetes requires.
      const seenNumbers = new Set<number>();
      const seenNames = new Set<string>();
      const containers = w.containers
        .filter((c): c is NonNullable<typeof c> => c !== undefined)
        .map((c) => ({
          ...c,
          ports: c.ports
            .filter((p) => !seenNumbers.has(p.containerPort) && (p.name === undefined || !seenNames.has(p.name)))
            .map((p) => {
              seenNumbers.add(p.containerPort);
              if (p.name) seenNames.add(p.name);
              return p.name === undefined ? { containerPort: p.containerPort } : p;
            }),
        }))
        .map((c) => (c.ports.length ? c : { name: c.name, image: c.image }));
      const annotations: Record<string, string> = {};
      if (w.optOut) annotations['inject-sidecar.dev/inject'] = 'false';
      if (w.appPortAnnotation) annotations['inject-sidecar.dev/app-port'] = w.appPortAnnotation;
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: `w${i}`,
          ...(w.namespace ? { namespace: w.namespace } : {}),
          ...(Object.keys(w.labels).length ? { labels: w.labels } : {}),
          ...(Object.keys(annotations).length ? { annotations } : {}),
        },
        spec: {
          selector: { matchLabels: w.podLabels },
          template: { metadata: { labels: w.podLabels }, spec: { containers } },
        },
      } as Obj;
    });

const service = (i: number) =>
  fc
    .record({
      namespace,
      selector: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 2 }),
      headless: fc.constantFrom(false, false, false, true),
      ports: fc.uniqueArray(
        // Weighted towards the ports the configs map, so that rewiring is common.
        fc.record({
          port: fc.constantFrom(8080, 8080, ...APP_PORTS, 443),
          target: fc.constantFrom<'omit' | 0 | number | string>(
            'omit',
            0,
            8080,
            8080,
            'http',
            'http',
            'http',
            ...APP_PORTS,
            'metrics',
          ),
        }),
        { selector: (p) => p.port, minLength: 1, maxLength: 3 },
      ),
    })
    .map(
      (s) =>
        ({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `s${i}`, ...(s.namespace ? { namespace: s.namespace } : {}) },
          spec: {
            ...(s.headless ? { clusterIP: 'None' } : {}),
            selector: s.selector,
            ports: s.ports.map((p, j) => ({
              name: `p${j}`,
              port: p.port,
              ...(p.target === 'omit' ? {} : { targetPort: p.target }),
            })),
          },
        }) as Obj,
    );

const unrelated = (i: number) =>
  fc
    .record({ a: fc.string({ maxLength: 5 }), b: fc.constantFrom('on', '0755', 'yes') })
    .map((data) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` }, data }) as Obj);

const plain = <T>(o: T): T => JSON.parse(JSON.stringify(o)); // fast-check may build null-prototype objects
const pkg = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 }))
  .chain(([w, s, u]) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: w }, (_, i) => workload(i))),
      fc.tuple(...Array.from({ length: s }, (_, i) => service(i))),
      fc.tuple(...Array.from({ length: u }, (_, i) => unrelated(i))),
    ),
  )
  .chain(([ws, ss, us]) =>
    fc.shuffledSubarray([...ws, ...ss, ...us] as Obj[], { minLength: ws.length + ss.length + us.length }),
  )
  .map(plain);

const config = fc
  .record({
    selector: fc.oneof(
      { arbitrary: fc.constant({}), weight: 3 },
      fc.record({ matchLabels: labels }),
      fc.record({
        matchExpressions: fc.array(fc.record({ key: labelKey, operator: fc.constantFrom('Exists', 'DoesNotExist') }), {
          maxLength: 2,
        }),
      }),
    ),
    namespaces: fc.constantFrom(undefined, undefined, undefined, ['shop'], ['shop', 'ops']),
    ports: fc.constantFrom(
      [{ appPort: 8080, listenPort: 18443 }],
      [{ appPort: 'http', listenPort: 18443, name: 'waf-http' }],
      [{ listenPort: 18443 }],
      [
        { appPort: 'http', listenPort: 18443 },
        { appPort: 5000, listenPort: 18444 },
      ],
    ),
  })
  .map((c) => ({
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: c.selector,
      ...(c.namespaces ? { namespaces: c.namespaces } : {}),
      container: { name: 'waf', image: 'w:1' },
      ports: c.ports,
    },
  }));

/** YAML text with a comment on every document. */
const toYaml = (objs: Obj[]) => objs.map((o, i) => `# item ${i}\n${stringify(o)}`).join('---\n');
const objectsOf = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
const selectedBy = (cfg: Obj) => (w: Obj) =>
  matchesLabelSelector(cfg.spec.selector, w.metadata.labels) &&
  (!cfg.spec.namespaces || cfg.spec.namespaces.includes(w.metadata.namespace ?? '')) &&
  w.metadata.annotations?.['inject-sidecar.dev/inject'] !== 'false';
const findingsOf = (results: Obj[]): Finding[] =>
  results.map((r) => ({
    severity: r.severity,
    kind: r.resourceRef?.kind,
    name: r.resourceRef?.name,
    namespace: r.resourceRef?.namespace,
    message: r.message,
  }));

function transformed(objs: Obj[], cfg: Obj) {
  return runStream(stringify(cfg), 'config', toYaml(objs));
}

describe('properties', () => {
  it('keeps the invariants on random packages, and a second run changes nothing', () => {
    let injected = 0;
    let rewired = 0;
    fc.assert(
      fc.property(pkg, config, (objs, cfg) => {
        const out = transformed(objs, cfg);
        if (out.exitCode === 1) {
          // The only errors these packages can cause: port collisions in a pod, two entries on one app port.
          for (const r of out.results.filter((r) => r.severity === 'error'))
            expect(r.message).toMatch(/collides|already used|both resolve to app port/);
          expect(out.stdout).toBe('');
          return;
        }
        const broken = checkInvariants(objs, objectsOf(out.stdout), findingsOf(out.results), {
          sidecarName: 'waf',
          listenPorts: LISTEN_PORTS,
          selected: selectedBy(cfg),
        });
        expect(broken).toEqual([]);
        expect(runStream(stringify(cfg), 'config', out.stdout).stdout).toBe(out.stdout);
        if (out.results.some((r) => /^sidecar /.test(r.message))) injected++;
        if (out.results.some((r) => /-> \d+ \(sidecar\)/.test(r.message))) rewired++;
      }),
      { numRuns },
    );
    // The generators must reach the interesting cases, or the property proves little.
    expect(injected / numRuns).toBeGreaterThan(0.2);
    expect(rewired / numRuns).toBeGreaterThan(0.015);
  });

  it('gives the same objects whatever the order of unrelated items', () => {
    fc.assert(
      fc.property(pkg, config, fc.integer(), (objs, cfg, seed) => {
        const related = objs.filter((o) => o.kind !== 'ConfigMap');
        const others = objs.filter((o) => o.kind === 'ConfigMap');
        const moved = [
          ...others.slice(seed % Math.max(1, others.length)),
          ...related,
          ...others.slice(0, seed % Math.max(1, others.length)),
        ];
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

  it('gives back the input when the workloads are deselected', () => {
    fc.assert(
      fc.property(pkg, config, (objs, cfg) => {
        const input = toYaml(objs);
        const out = runStream(stringify(cfg), 'config', input);
        fc.pre(out.exitCode === 0);
        const nothing = { ...cfg, spec: { ...cfg.spec, selector: { matchLabels: { 'never-set': 'x' } } } };
        expect(runStream(stringify(nothing), 'config', out.stdout).stdout).toBe(input);
      }),
      { numRuns },
    );
  });

  it('never throws: random bytes in, a clean result out', () => {
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      pkg
        .map((objs) => toYaml(objs))
        .chain((text) =>
          fc
            .tuple(fc.constant(text), fc.nat(text.length), fc.string({ maxLength: 3 }))
            .map(([t, at, s]) => t.slice(0, at) + s + t.slice(at + 1)),
        ),
    );
    fc.assert(
      fc.property(garbage, config, (text, cfg) => {
        for (const out of [
          runStream(stringify(cfg), 'config', text),
          runResourceList(
            `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: ${JSON.stringify(cfg)}\nitems:\n${text.replace(/^/gm, '  ')}`,
          ),
        ]) {
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
