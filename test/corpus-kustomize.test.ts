// The corpus through standalone kustomize (see corpus.ts for what and why).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  configObject,
  configs,
  corpus,
  filesOf,
  findingsFromStderr,
  haveCorpus,
  isKustomization,
  kustomizations,
  LISTEN,
  record,
  selectedBy,
  withPolicies,
} from './corpus.js';
import { checkInvariants, checkPolicies, type Tally } from './invariants.js';
import { fn, objectsOf, run, tool } from './tools.js';

describe.skipIf(!haveCorpus)('corpus through standalone kustomize', () => {
  const kustomize = tool('kustomize');
  // Each kustomization's build without the function, made once for both selectors.
  const baselines = new Map<string, ReturnType<typeof run>>();
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
            {
              sidecarName: 'waf',
              listenPorts: [LISTEN],
              selected: selectedBy(config.selector),
              ...(config.kinds ? { kinds: config.kinds } : {}),
            },
            tally,
          ).map((m) => `${relative(corpus, k)}: ${m}`);
          // A second run over the rendered output changes nothing.
          writeFileSync(join(dir, 'plain.yaml'), stringify(configObject(config.selector, {}, config.kinds)));
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
