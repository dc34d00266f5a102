// The function on every package of ../shared/corpus (unmodified public manifests), end to end:
// every file that holds a workload through kpt fn render, every kustomization that builds through
// standalone kustomize. Twice: with `selector: {}` and with a label selector that picks some
// workloads. Every run is checked against the invariants in invariants.ts, and a summary is
// printed.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  checkInvariants,
  checkPolicies,
  type Finding,
  matchesLabelSelector,
  type Obj,
  podOf,
  type Tally,
} from './invariants.js';
import { fn, inCI, objectsOf, repo, run, snapshot, tool } from './tools.js';

const corpus = join(repo, '../shared/corpus');
const haveCorpus = existsSync(corpus);
if (!haveCorpus && inCI) throw new Error(`the corpus is required under CI=true: ${corpus} is missing`);
if (!haveCorpus) console.warn(`skipping the corpus runs: ${corpus} is missing`);

const LISTEN = 18443;
const configs: { name: string; selector: LabelSelector }[] = [
  { name: 'all', selector: {} },
  {
    name: 'some',
    selector: {
      matchExpressions: [
        { key: 'app', operator: 'Exists' },
        {
          key: 'app',
          operator: 'NotIn',
          values: ['redis', 'cartservice', 'ratings', 'carts-db', 'user-db', 'frontend', 'emoji'],
        },
      ],
    },
  },
];
const configObject = (selector: LabelSelector, extra: Obj = {}) => ({
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf', ...extra },
  spec: {
    selector,
    container: { name: 'waf', image: 'wallarm/node:4.10' },
    ports: [{ listenPort: LISTEN, name: 'waf-http' }],
  },
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const docsOf = (file: string): Obj[] => objectsOf(readFileSync(file, 'utf8'));
const isKustomization = (f: string) => /^kustomization\.ya?ml$/.test(basename(f));

/** Files a kustomization uses as patches: partial objects, not resources. */
function patchFiles(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const k of files.filter(isKustomization)) {
    const doc = parse(readFileSync(k, 'utf8')) ?? {};
    // `patches:` entries are objects with a path, or (older kustomize) bare paths.
    const paths: unknown[] = [
      ...(doc.patches ?? []).map((p: Obj | string) => (typeof p === 'string' ? p : p.path)),
      ...(doc.patchesStrategicMerge ?? []),
      ...(doc.patchesJson6902 ?? []).map((p: Obj) => p.path),
    ];
    for (const p of paths) if (typeof p === 'string') out.add(join(dirname(k), p));
  }
  return out;
}

const allFiles = haveCorpus ? walk(corpus).filter((f) => /\.ya?ml$/.test(f)) : [];
const patches = patchFiles(allFiles);
const workloadFiles = allFiles.filter(
  (f) => !isKustomization(f) && !patches.has(f) && docsOf(f).some((o) => podOf(o) !== undefined),
);
const kustomizations = allFiles.filter(isKustomization).map(dirname);

const summary = new Map<string, { packages: number; tally: Tally; warnings: Map<string, number>; broken: string[] }>();
function record(route: string, tally: Tally, findings: Finding[], broken: string[]) {
  const s = summary.get(route) ?? {
    packages: 0,
    tally: { workloads: 0, injected: 0, servicesRewired: 0 },
    warnings: new Map<string, number>(),
    broken: [] as string[],
  };
  s.packages++;
  s.tally.workloads += tally.workloads;
  s.tally.injected += tally.injected;
  s.tally.servicesRewired += tally.servicesRewired;
  for (const f of findings.filter((f) => f.severity === 'warning')) {
    const kind = /headless/.test(f.message)
      ? 'headless Service'
      : /also selects pods/.test(f.message)
        ? 'mixed Service'
        : /still targets/.test(f.message)
          ? 'port bypasses sidecar'
          : /no app port|left without/.test(f.message)
            ? 'no app port'
            : 'other';
    s.warnings.set(kind, (s.warnings.get(kind) ?? 0) + 1);
  }
  s.broken.push(...broken);
  summary.set(route, s);
}

afterAll(() => {
  if (!summary.size) return;
  const lines = ['', 'corpus summary', 'route              packages  workloads  sidecars  services rewired  warnings'];
  for (const [route, s] of summary) {
    const warnings = [...s.warnings].map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    lines.push(
      `${route.padEnd(18)} ${String(s.packages).padStart(8)}  ${String(s.tally.workloads).padStart(9)}  ${String(s.tally.injected).padStart(8)}  ${String(s.tally.servicesRewired).padStart(16)}  ${warnings}`,
    );
  }
  const broken = [...summary.values()].reduce((n, s) => n + s.broken.length, 0);
  lines.push(`broken invariants: ${broken}`);
  console.log(lines.join('\n'));
});

const selectedBy = (selector: LabelSelector) => (w: Obj) => matchesLabelSelector(selector, w.metadata?.labels);

describe.skipIf(!haveCorpus)('corpus through kpt fn render', () => {
  const kpt = tool('kpt');
  it('finds the corpus files that hold workloads', () => expect(workloadFiles.length).toBeGreaterThan(50));
  for (const config of configs) {
    it.skipIf(!kpt)(
      `renders every workload file with selector ${config.name}, keeps the invariants, and a second render changes nothing`,
      () => {
        const root = mkdtempSync(join(tmpdir(), 'inject-sidecar-corpus-'));
        writeFileSync(join(root, 'Kptfile'), 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: corpus\n');
        const packages = workloadFiles.map((file, i) => {
          const name = `p${String(i).padStart(3, '0')}`;
          const dir = join(root, name);
          mkdirSync(dir);
          // A file name unique across packages, so each result's file.path says which package it is about.
          const copy = `${name}-${basename(file)}`;
          writeFileSync(join(dir, copy), readFileSync(file));
          writeFileSync(
            join(dir, 'waf.yaml'),
            stringify(configObject(config.selector, { annotations: { 'config.kubernetes.io/local-config': 'true' } })),
          );
          writeFileSync(
            join(dir, 'Kptfile'),
            stringify({
              apiVersion: 'kpt.dev/v1',
              kind: 'Kptfile',
              metadata: { name },
              pipeline: { mutators: [{ exec: fn, configPath: 'waf.yaml' }] },
            }),
          );
          return { file, dir, copy };
        });
        // kpt changes files on its own, even through a function that echoes its input: it drops
        // blank lines in head comments and empty `annotations: {}`, and re-folds a folded block
        // scalar in sock-shop's grafana Job. The baseline is therefore kpt's render of the same
        // packages through an echo function, and the invariants compare ours with it.
        const baseline = echoCopy(root, packages);
        const echoed = run(kpt!, ['fn', 'render', baseline, '--allow-exec']);
        expect(echoed.status, echoed.stderr).toBe(0);
        const resultsDir = mkdtempSync(join(tmpdir(), 'inject-sidecar-results-'));
        const first = run(kpt!, ['fn', 'render', root, '--allow-exec', '--results-dir', resultsDir]);
        expect(first.status, first.stderr).toBe(0);
        const fnResults: Obj[] = parse(readFileSync(join(resultsDir, 'results.yaml'), 'utf8')).items.flatMap(
          (i: Obj) => i.results ?? [],
        );
        const broken: string[] = [];
        for (const p of packages) {
          const findings: Finding[] = fnResults
            .filter((r) => r.file?.path === p.copy)
            .map((r) => ({
              severity: r.severity,
              kind: r.resourceRef?.kind,
              name: r.resourceRef?.name,
              namespace: r.resourceRef?.namespace,
              message: r.message,
            }));
          const tally: Tally = { workloads: 0, injected: 0, servicesRewired: 0 };
          const input = docsOf(join(baseline, basename(p.dir), p.copy));
          const b = checkInvariants(
            input,
            docsOf(join(p.dir, p.copy)),
            findings,
            { sidecarName: 'waf', listenPorts: [LISTEN], selected: selectedBy(config.selector) },
            tally,
          ).map((m) => `${relative(corpus, p.file)}: ${m}`);
          record(`kpt/${config.name}`, tally, findings, b);
          broken.push(...b);
        }
        expect(broken, 'broken invariants').toEqual([]);
        // A second render changes nothing that kpt itself would not change.
        const identity = echoCopy(root, packages);
        const second = run(kpt!, ['fn', 'render', root, '--allow-exec']);
        expect(second.status, second.stderr).toBe(0);
        const again = run(kpt!, ['fn', 'render', identity, '--allow-exec']);
        expect(again.status, again.stderr).toBe(0);
        const ours = snapshot(root);
        const theirs = snapshot(identity);
        const changed = Object.keys(ours).filter((f) => !f.endsWith('Kptfile') && ours[f] !== theirs[f]);
        expect(changed, 'files a second render changed beyond what kpt itself changes').toEqual([]);
        expect(broken).toEqual([]);
      },
    );
  }
});

describe.skipIf(!haveCorpus)('corpus through standalone kustomize', () => {
  const kustomize = tool('kustomize');
  it('finds the kustomizations', () => expect(kustomizations.length).toBeGreaterThan(10));
  for (const config of configs) {
    it.skipIf(!kustomize)(
      `builds every kustomization that builds, with selector ${config.name}, and keeps the invariants`,
      () => {
        const broken: string[] = [];
        let built = 0;
        for (const k of kustomizations) {
          const baseline = run(kustomize!, ['build', k]);
          if (baseline.status !== 0) continue; // components and overlays that do not build on kustomize 4.5.4
          built++;
          const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-kz-'));
          const transformer = configObject(config.selector, {
            annotations: { 'config.kubernetes.io/function': stringify({ exec: { path: fn } }) },
          });
          writeFileSync(join(dir, 'waf.yaml'), stringify(transformer));
          const isComponent = /^kind:\s*Component\b/m.test(
            readFileSync(join(k, readdirSync(k).find(isKustomization)!), 'utf8'),
          );
          writeFileSync(
            join(dir, 'kustomization.yaml'),
            stringify({ [isComponent ? 'components' : 'resources']: [relative(dir, k)], transformers: ['waf.yaml'] }),
          );
          const r = run(kustomize!, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
          if (r.status !== 0) {
            broken.push(`${relative(corpus, k)}: kustomize failed: ${r.stderr}`);
            continue;
          }
          // kustomize ignores results; the function's warnings reach the user on stderr.
          const findings = findingsFromStderr(r.stderr);
          const tally: Tally = { workloads: 0, injected: 0, servicesRewired: 0 };
          const b = checkInvariants(
            objectsOf(baseline.stdout),
            objectsOf(r.stdout),
            findings,
            { sidecarName: 'waf', listenPorts: [LISTEN], selected: selectedBy(config.selector) },
            tally,
          ).map((m) => `${relative(corpus, k)}: ${m}`);
          // A second run over the rendered output changes nothing.
          writeFileSync(join(dir, 'plain.yaml'), stringify(configObject(config.selector)));
          const again = run(fn, [join(dir, 'plain.yaml')], { input: r.stdout });
          if (again.stdout !== r.stdout) b.push(`${relative(corpus, k)}: a second run changed the output`);
          record(`kustomize/${config.name}`, tally, findings, b);
          broken.push(...b);
        }
        expect(built).toBeGreaterThan(10);
        expect(broken).toEqual([]);
      },
    );
  }
});

/** A copy of the packages whose pipelines run an echo function instead of ours. */
function echoCopy(root: string, packages: { dir: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-echo-'));
  cpSync(root, dir, { recursive: true });
  const echo = join(dir, 'echo.sh');
  writeFileSync(echo, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
  for (const p of packages) {
    const kptfile = join(dir, basename(p.dir), 'Kptfile');
    writeFileSync(kptfile, readFileSync(kptfile, 'utf8').replace(fn, echo));
  }
  return dir;
}

// Packages that carry real NetworkPolicies beside their workloads: every rewired path must stay
// open through the policies, and no policy may change beyond its ingress ports.
const withPolicies = [
  {
    name: 'sock-shop',
    files: ['sock-shop/deploy/kubernetes/complete-demo.yaml', 'sock-shop/deploy/kubernetes/manifests-policy'],
  },
  {
    name: 'online-boutique',
    files: [
      'online-boutique/release/kubernetes-manifests.yaml',
      'online-boutique/kustomize/components/network-policies',
    ],
  },
];
const filesOf = (paths: string[]) =>
  paths
    .map((p) => join(corpus, p))
    .flatMap((p) =>
      statSync(p).isDirectory() ? walk(p).filter((f) => /\.ya?ml$/.test(f) && !isKustomization(f)) : [p],
    )
    // sock-shop's default-deny file is the Namespace again, with a pre-1.7 annotation: not a policy.
    .filter((f) => !f.endsWith('netpol-default-deny.yaml'));

/** kustomize ignores results; the function's warnings reach it on stderr, one per line. */
const findingsFromStderr = (stderr: string): Finding[] =>
  stderr
    .split('\n')
    .map((l) => /^inject-sidecar: (warning|error): (\S+) (?:([^/\s]+)\/)?([^:\s]+): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ severity: m[1]!, kind: m[2]!, ...(m[3] ? { namespace: m[3] } : {}), name: m[4]!, message: m[5]! }));

describe.skipIf(!haveCorpus)('corpus NetworkPolicies', () => {
  const kpt = tool('kpt');
  const kustomize = tool('kustomize');
  for (const mode of ['follow', 'replace'] as const) {
    it.skipIf(!kpt)(`through kpt fn render, networkPolicies: ${mode}`, () => {
      for (const set of withPolicies) {
        const dir = mkdtempSync(join(tmpdir(), `inject-sidecar-netpol-${set.name}-`));
        const files = filesOf(set.files);
        for (const f of files) writeFileSync(join(dir, `${basename(dirname(f))}-${basename(f)}`), readFileSync(f));
        const config = configObject({}, { annotations: { 'config.kubernetes.io/local-config': 'true' } });
        writeFileSync(join(dir, 'waf.yaml'), stringify({ ...config, spec: { ...config.spec, networkPolicies: mode } }));
        const kptfile = {
          apiVersion: 'kpt.dev/v1',
          kind: 'Kptfile',
          metadata: { name: set.name },
          pipeline: { mutators: [{ exec: fn, configPath: 'waf.yaml' }] },
        };
        writeFileSync(join(dir, 'Kptfile'), stringify(kptfile));
        const input = files.flatMap((f) => objectsOf(readFileSync(f, 'utf8')));
        const resultsDir = mkdtempSync(join(tmpdir(), 'inject-sidecar-netpol-results-'));
        const r = run(kpt!, ['fn', 'render', dir, '--allow-exec', '--results-dir', resultsDir]);
        expect(r.status, r.stderr).toBe(0);
        const findings: Finding[] = parse(readFileSync(join(resultsDir, 'results.yaml'), 'utf8'))
          .items.flatMap((i: Obj) => i.results ?? [])
          .map((f: Obj) => ({
            severity: f.severity,
            kind: f.resourceRef?.kind,
            name: f.resourceRef?.name,
            namespace: f.resourceRef?.namespace,
            message: f.message,
          }));
        const output = files.flatMap((f) =>
          objectsOf(readFileSync(join(dir, `${basename(dirname(f))}-${basename(f)}`), 'utf8')),
        );
        const policies = output.filter((o) => o.kind === 'NetworkPolicy');
        expect(policies.length).toBeGreaterThan(5);
        expect(
          output
            .filter((o) => o.kind === 'Service')
            .some((s) => s.spec.ports.some((p: Obj) => p.targetPort === LISTEN)),
        ).toBe(true);
        const broken = [
          ...checkInvariants(input, output, findings, {
            sidecarName: 'waf',
            listenPorts: [LISTEN],
            selected: () => true,
          }),
          ...checkPolicies(input, output, { sidecarName: 'waf', replaced: mode === 'replace' }),
        ];
        expect(broken, set.name).toEqual([]);
        // Every policy that selects an injected pod and names its app port now names the listen port.
        expect(
          policies.some((p) => JSON.stringify(p.spec.ingress ?? []).includes(String(LISTEN))),
          set.name,
        ).toBe(true);
        const before = snapshot(dir);
        expect(run(kpt!, ['fn', 'render', dir, '--allow-exec']).status).toBe(0);
        expect(snapshot(dir)).toEqual(before);
      }
    });
    it.skipIf(!kustomize)(`through standalone kustomize, networkPolicies: ${mode}`, () => {
      for (const set of withPolicies) {
        const dir = mkdtempSync(join(tmpdir(), `inject-sidecar-netpol-kz-${set.name}-`));
        const files = filesOf(set.files);
        const config = configObject(
          {},
          { annotations: { 'config.kubernetes.io/function': stringify({ exec: { path: fn } }) } },
        );
        writeFileSync(join(dir, 'waf.yaml'), stringify({ ...config, spec: { ...config.spec, networkPolicies: mode } }));
        const names = files.map((f) => `${basename(dirname(f))}-${basename(f)}`);
        for (const [i, f] of files.entries()) writeFileSync(join(dir, names[i]!), readFileSync(f));
        writeFileSync(join(dir, 'kustomization.yaml'), stringify({ resources: names }));
        const baseline = run(kustomize!, ['build', dir]);
        expect(baseline.status, baseline.stderr).toBe(0);
        writeFileSync(join(dir, 'kustomization.yaml'), stringify({ resources: names, transformers: ['waf.yaml'] }));
        const r = run(kustomize!, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
        expect(r.status, r.stderr).toBe(0);
        const broken = [
          ...checkInvariants(objectsOf(baseline.stdout), objectsOf(r.stdout), findingsFromStderr(r.stderr), {
            sidecarName: 'waf',
            listenPorts: [LISTEN],
            selected: () => true,
          }),
          ...checkPolicies(objectsOf(baseline.stdout), objectsOf(r.stdout), {
            sidecarName: 'waf',
            replaced: mode === 'replace',
          }),
        ];
        expect(broken, set.name).toEqual([]);
      }
    });
  }
});
