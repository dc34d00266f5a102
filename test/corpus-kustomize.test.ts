// The corpus through standalone kustomize (see corpus.ts for what and why).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  CORPUS_TIMEOUT,
  configObject,
  configs,
  corpus,
  filesOf,
  findingsFromStderr,
  haveCorpus,
  invariantsFor,
  isKustomization,
  kustomizations,
  LISTEN,
  podPartsInvariants,
  record,
  withPolicies,
} from './corpus.js';
import { kustomize5 } from './fetched.js';
import { checkInvariants, checkPolicies, type Finding, type Tally } from './invariants.js';
import { fn, objectsOf, run, tool } from './tools.js';

/** One kustomization built with the function as a transformer: its problems, and what it built. */
function buildWith(
  kustomize: string,
  k: string,
  config: (typeof configs)[number],
  baseline: string,
  tally: Tally,
): { broken: string[]; findings: Finding[]; stdout?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-kz-'));
  const transformer = configObject(
    config.selector,
    { annotations: { 'config.kubernetes.io/function': stringify({ exec: { path: fn } }) } },
    config.kinds,
  );
  writeFileSync(join(dir, 'waf.yaml'), stringify(transformer));
  const isComponent = /^kind:\s*Component\b/m.test(
    readFileSync(join(k, readdirSync(k).find(isKustomization)!), 'utf8'),
  );
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    stringify({ [isComponent ? 'components' : 'resources']: [relative(dir, k)], transformers: ['waf.yaml'] }),
  );
  const r = run(kustomize, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
  if (r.status !== 0) return { broken: [`${relative(corpus, k)}: kustomize failed: ${r.stderr}`], findings: [] };
  // kustomize ignores results; the function's warnings reach the user on stderr.
  const findings = findingsFromStderr(r.stderr);
  const broken = checkInvariants(objectsOf(baseline), objectsOf(r.stdout), findings, invariantsFor(config), tally).map(
    (m) => `${relative(corpus, k)}: ${m}`,
  );
  // A second run over the rendered output changes nothing.
  writeFileSync(join(dir, 'plain.yaml'), stringify(configObject(config.selector, {}, config.kinds)));
  const again = run(fn, [join(dir, 'plain.yaml')], { input: r.stdout });
  if (again.stdout !== r.stdout) broken.push(`${relative(corpus, k)}: a second run changed the output`);
  return { broken, findings, stdout: r.stdout };
}

// kustomize 4.5.4's builds, for kustomize 5 to be compared with: each kustomization's build without
// the function, and with it under the first selector.
const baselines = new Map<string, ReturnType<typeof run>>();
const rendered454 = new Map<string, string>();

describe.skipIf(!haveCorpus)('corpus through standalone kustomize', () => {
  const kustomize = tool('kustomize');
  const baselineOf = (k: string) => {
    if (!baselines.has(k)) baselines.set(k, run(kustomize!, ['build', k]));
    return baselines.get(k)!;
  };
  it('finds the kustomizations', () => expect(kustomizations.length).toBeGreaterThan(10));
  for (const config of configs) {
    it.skipIf(!kustomize)(
      `builds every kustomization that builds, with selector ${config.name}, and keeps the invariants`,
      () => {
        const broken: string[] = [];
        let built = 0;
        for (const k of kustomizations) {
          const baseline = baselineOf(k);
          if (baseline.status !== 0) continue; // components and overlays that do not build on kustomize 4.5.4
          built++;
          const tally: Tally = { workloads: 0, injected: 0, servicesRewired: 0 };
          const b = buildWith(kustomize!, k, config, baseline.stdout, tally);
          if (config === configs[0] && b.stdout !== undefined) rendered454.set(k, b.stdout);
          record(`kustomize/${config.name}`, tally, b.findings, b.broken);
          broken.push(...b.broken);
        }
        expect(built).toBeGreaterThan(10);
        expect(broken).toEqual([]);
      },
      CORPUS_TIMEOUT,
    );
  }
});

// kustomize 5.6.0 (Argo CD 3.0) and 5.8.1 (Argo CD 3.3 to 3.5), from Debian: the invariants hold,
// and where a kustomization builds the same without the function on both, the function's output
// through kustomize 5 is byte for byte what it is through 4.5.4.
for (const suite of ['trixie', 'sid'] as const) {
  describe.skipIf(!haveCorpus)(`corpus through kustomize 5 (Debian ${suite})`, () => {
    const kustomize = kustomize5(suite);
    const config = configs[0]!;
    it.skipIf(!kustomize)(
      `kustomize ${kustomize?.version}: builds as 4.5.4 does, with selector ${config.name}`,
      () => {
        const broken: string[] = [];
        let built = 0;
        let compared = 0;
        for (const k of kustomizations) {
          const baseline = run(kustomize!.path, ['build', k]);
          if (baseline.status !== 0) continue;
          built++;
          const tally: Tally = { workloads: 0, injected: 0, servicesRewired: 0 };
          const b = buildWith(kustomize!.path, k, config, baseline.stdout, tally);
          broken.push(...b.broken);
          const earlier = rendered454.get(k);
          if (earlier === undefined || baselines.get(k)?.stdout !== baseline.stdout) continue;
          compared++;
          if (b.stdout !== earlier) broken.push(`${relative(corpus, k)}: differs from kustomize 4.5.4's build`);
        }
        expect(built).toBeGreaterThan(10);
        // Both selectors' 4.5.4 runs happen first in this file; run alone, only the invariants are checked.
        if (rendered454.size) expect(compared).toBeGreaterThan(10);
        expect(broken).toEqual([]);
      },
      CORPUS_TIMEOUT,
    );
  });
}

describe.skipIf(!haveCorpus)('corpus NetworkPolicies through kustomize', () => {
  const kustomize = tool('kustomize');
  for (const mode of ['follow', 'replace'] as const) {
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
            ...podPartsInvariants,
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
