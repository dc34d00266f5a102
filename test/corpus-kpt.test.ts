// The corpus through kpt fn render (see corpus.ts for what and why).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  CORPUS_TIMEOUT,
  configObject,
  configs,
  corpus,
  docsOf,
  echoCopy,
  filesOf,
  haveCorpus,
  invariantsFor,
  LISTEN,
  podPartsInvariants,
  record,
  withPolicies,
  workloadFiles,
} from './corpus.js';
import { checkInvariants, checkPolicies, type Finding, type Obj, type Tally } from './invariants.js';
import { fn, objectsOf, run, snapshot, tool } from './tools.js';

describe.skipIf(!haveCorpus)('corpus through kpt fn render', () => {
  const kpt = tool('kpt');
  it('finds the corpus files that hold workloads', () => expect(workloadFiles.length).toBeGreaterThan(50));
  for (const config of configs) {
    it.skipIf(!kpt)(
      `renders every workload file with selector ${config.name}, keeps the invariants${config.name === 'all' ? ', and a second render changes nothing' : ''}`,
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
            stringify(
              configObject(
                config.selector,
                { annotations: { 'config.kubernetes.io/local-config': 'true' } },
                config.kinds,
              ),
            ),
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
          const b = checkInvariants(input, docsOf(join(p.dir, p.copy)), findings, invariantsFor(config), tally).map(
            (m) => `${relative(corpus, p.file)}: ${m}`,
          );
          record(`kpt/${config.name}`, tally, findings, b);
          broken.push(...b);
        }
        expect(broken, 'broken invariants').toEqual([]);
        // A second render changes nothing that kpt itself would not change. Checked once, on the
        // selector that injects the most (every kind, every workload): two more renders of 80 packages.
        if (config.name !== 'all') return;
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
      CORPUS_TIMEOUT,
    );
  }
});

describe.skipIf(!haveCorpus)('corpus NetworkPolicies through kpt', () => {
  const kpt = tool('kpt');
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
            ...podPartsInvariants,
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
  }
});
