// Shared by corpus-kpt.test.ts and corpus-kustomize.test.ts (two files, so the two routes run in
// parallel). The function on every package of ../shared/corpus (unmodified public manifests), end to end:
// every file that holds a workload through kpt fn render, every kustomization that builds through
// standalone kustomize. Twice: with `selector: {}` and with a label selector that picks some
// workloads. Every run is checked against the invariants in invariants.ts, and a summary is
// printed.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import { WORKLOAD_KINDS } from '../src/objects/workload.js';
import { type Finding, matchesLabelSelector, type Obj, podOf, type Tally } from './invariants.js';
import { fn, inCI, objectsOf, repo } from './tools.js';

export const corpus = join(repo, '../shared/corpus');
export const haveCorpus = existsSync(corpus);
/**
 * A runaway bound for a test that walks the whole corpus, not a speed goal: about 30 s idle and 80 s
 * with both cores busy on the 2-core machine, so several times that.
 */
export const CORPUS_TIMEOUT = 600_000;
if (!haveCorpus && inCI) throw new Error(`the corpus is required under CI=true: ${corpus} is missing`);
if (!haveCorpus) console.warn(`skipping the corpus runs: ${corpus} is missing`);

export const LISTEN = 18443;
/** Every kind spec.kinds allows. */
export const EVERY_KIND = [...WORKLOAD_KINDS];
// "all" selects every workload of every kind; "some" keeps the default kinds (Deployment).
export const configs: { name: string; selector: LabelSelector; kinds?: string[] }[] = [
  { name: 'all', selector: {}, kinds: EVERY_KIND },
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
// The pod parts and overrides every corpus run brings: a cache volume for the sidecar, a directory
// shared with every app container, a pull Secret, and what a workload may override.
const POD_PARTS = {
  volumes: [
    { name: 'waf-cache', emptyDir: {} },
    { name: 'waf-shared', emptyDir: { medium: 'Memory' } },
  ],
  appVolumeMounts: [{ name: 'waf-shared', mountPath: '/var/run/inject-sidecar-shared' }],
  imagePullSecrets: [{ name: 'waf-registry' }],
  overrides: { resources: true, env: { WALLARM_MODE: ['monitoring', 'block'] } },
};
/** What the invariants know of the pod parts every corpus config brings. */
export const podPartsInvariants = {
  volumes: POD_PARTS.volumes,
  appVolumeMounts: POD_PARTS.appVolumeMounts,
  imagePullSecrets: POD_PARTS.imagePullSecrets.map((r) => r.name),
};
/** What the invariants check for a corpus run with one of `configs`. */
export const invariantsFor = (config: (typeof configs)[number]) => ({
  sidecarName: 'waf',
  listenPorts: [LISTEN],
  selected: selectedBy(config.selector),
  ...(config.kinds ? { kinds: config.kinds } : {}),
  ...podPartsInvariants,
});
export const configObject = (selector: LabelSelector, extra: Obj = {}, kinds?: string[]) => ({
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf', ...extra },
  spec: {
    ...(kinds ? { kinds } : {}),
    selector,
    container: {
      name: 'waf',
      image: 'wallarm/node:4.10',
      securityContext: { runAsUser: 100 },
      readinessProbe: { tcpSocket: { port: LISTEN } },
      volumeMounts: [{ name: 'waf-cache', mountPath: '/var/cache/waf' }],
    },
    ports: [{ listenPort: LISTEN, name: 'waf-http' }],
    ...POD_PARTS,
  },
});

export function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
export const docsOf = (file: string): Obj[] => objectsOf(readFileSync(file, 'utf8'));
export const isKustomization = (f: string) => /^kustomization\.ya?ml$/.test(basename(f));

/** Files a kustomization uses as patches: partial objects, not resources. */
export function patchFiles(files: string[]): Set<string> {
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

/** A Helm chart's templates are Go templates, not manifests: only `helm template` renders them. */
function inChart(file: string): boolean {
  for (let dir = dirname(file); dir.startsWith(corpus) && dir !== corpus; dir = dirname(dir))
    if (basename(dir) === 'templates' && existsSync(join(dirname(dir), 'Chart.yaml'))) return true;
  return false;
}
export const allFiles = haveCorpus ? walk(corpus).filter((f) => /\.ya?ml$/.test(f) && !inChart(f)) : [];
export const patches = patchFiles(allFiles);
export const workloadFiles = allFiles.filter(
  (f) => !isKustomization(f) && !patches.has(f) && docsOf(f).some((o) => podOf(o) !== undefined),
);
export const kustomizations = allFiles.filter(isKustomization).map(dirname);

export const summary = new Map<
  string,
  { packages: number; tally: Tally; warnings: Map<string, number>; broken: string[] }
>();
export function record(route: string, tally: Tally, findings: Finding[], broken: string[]) {
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

export const selectedBy = (selector: LabelSelector) => (w: Obj) => matchesLabelSelector(selector, w.metadata?.labels);

/** A copy of the packages whose pipelines run an echo function instead of ours. */
export function echoCopy(root: string, packages: { dir: string }[]): string {
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
export const withPolicies = [
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
export const filesOf = (paths: string[]) =>
  paths
    .map((p) => join(corpus, p))
    .flatMap((p) =>
      statSync(p).isDirectory() ? walk(p).filter((f) => /\.ya?ml$/.test(f) && !isKustomization(f)) : [p],
    )
    // sock-shop's default-deny file is the Namespace again, with a pre-1.7 annotation: not a policy.
    .filter((f) => !f.endsWith('netpol-default-deny.yaml'));

/** kustomize ignores results; the function's warnings reach it on stderr, one per line. */
export const findingsFromStderr = (stderr: string): Finding[] =>
  stderr
    .split('\n')
    .map((l) => /^inject-sidecar: (warning|error): (\S+) (?:([^/\s]+)\/)?([^:\s]+): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ severity: m[1]!, kind: m[2]!, ...(m[3] ? { namespace: m[3] } : {}), name: m[4]!, message: m[5]! }));
