// Several injections on one workload, run one after another as a kpt pipeline or a kustomize
// transformers list would run them. fixtures/multi holds one app (public port 8080, admin port
// 9090, its Service and NetworkPolicy) and the configs:
//   waf        8080 -> 8443          admin-waf  9090 -> 9444 (independent of waf)
//   bot-filter 8443 -> 9443 (fronts waf: a chain)   twin-waf 8080 -> 9445 (claims waf's app port)
// and, for removal, the same configs selecting nothing (*-removed).
// Each sequence's intermediate output is the input of a golden case, written here, so those cases
// always start from what the function really produces.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runStream } from '../src/run.js';
import { expectGolden } from './golden.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const multi = join(fixtures, 'multi');
const config = (name: string) => readFileSync(join(multi, `${name}.yaml`), 'utf8');
const source = readFileSync(join(multi, 'source.yaml'), 'utf8');

function run(name: string, input: string): string {
  const out = runStream(config(name), `${name}.yaml`, input);
  if (out.exitCode !== 0) throw new Error(`${name}: ${out.stderr}`);
  return out.stdout;
}

/** A golden case whose input is this sequence's output, and whose config is one of the multi configs. */
function caseFrom(name: string, input: string, configName: string) {
  const dir = join(fixtures, name);
  mkdirSync(dir, { recursive: true });
  expectGolden([join(dir, 'input.yaml'), input], [join(dir, 'config.yaml'), config(configName)]);
}

type Obj = Record<string, any>;
const objects = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const pod = (text: string) => objects(text)[0]!.spec.template;
const statusOf = (text: string) =>
  JSON.parse(pod(text).metadata.annotations['inject-sidecar.dev/status'] ?? '{}') as Record<string, unknown>;
const containerNames = (text: string) => (pod(text).spec.containers as Obj[]).map((c) => c.name);
const container = (text: string, name: string) => (pod(text).spec.containers as Obj[]).find((c) => c.name === name);
const service = (text: string) => objects(text)[1]!;

describe('two independent injections', () => {
  const a = run('waf', source);
  const ab = run('admin-waf', a);
  const b = run('admin-waf', source);
  const ba = run('waf', b);

  it('are golden cases in both run orders, and so are removing each one', () => {
    caseFrom('two-injections-admin-waf-after-waf', a, 'admin-waf');
    caseFrom('two-injections-waf-after-admin-waf', b, 'waf');
    caseFrom('two-injections-remove-waf', ab, 'waf-removed');
    caseFrom('two-injections-remove-admin-waf', ab, 'admin-waf-removed');
  });
  it('both apply, whatever the order, each with its own sidecar and status record', () => {
    expect(containerNames(ab)).toEqual(['app', 'waf', 'admin-waf']);
    expect(containerNames(ba)).toEqual(['app', 'admin-waf', 'waf']);
    for (const out of [ab, ba]) {
      expect(Object.keys(statusOf(out))).toEqual(['admin-waf', 'waf']);
      // The first to run set the default container and recorded it.
      expect(pod(out).metadata.annotations['kubectl.kubernetes.io/default-container']).toBe('app');
      expect(service(out).spec.ports.map((p: Obj) => p.targetPort)).toEqual([8443, 9444]);
    }
    // Apart from where each sidecar stands, the two orders give the same objects.
    const sorted = (text: string) =>
      objects(text).map((o) => {
        if (o.kind === 'Deployment')
          o.spec.template.spec.containers.sort((x: Obj, y: Obj) => x.name.localeCompare(y.name));
        if (o.kind === 'NetworkPolicy') o.spec.ingress[0].ports.sort((x: Obj, y: Obj) => x.port - y.port);
        return o;
      });
    const withoutDefault = (text: string) =>
      Object.entries(statusOf(text)).map(([name, { defaultContainer: _, ...rest }]: [string, any]) => [name, rest]);
    expect(withoutDefault(ab)).toEqual(withoutDefault(ba));
    expect(sorted(ab).slice(1)).toEqual(sorted(ba).slice(1));
  });
  it('the second run changes only its own sidecar', () => {
    expect(container(ab, 'waf')).toEqual(container(a, 'waf'));
    expect(container(ba, 'admin-waf')).toEqual(container(b, 'admin-waf'));
  });
  it('re-running either one changes nothing', () => {
    for (const out of [ab, ba]) {
      expect(run('waf', out)).toBe(out);
      expect(run('admin-waf', out)).toBe(out);
    }
  });
  it('re-running one with a new image changes only its own sidecar', () => {
    const upgraded = runStream(config('waf').replace('wallarm/node:4.10', 'wallarm/node:5.0'), 'waf.yaml', ab).stdout;
    expect(container(upgraded, 'waf')!.image).toBe('wallarm/node:5.0');
    expect(containerNames(upgraded)).toEqual(containerNames(ab));
    expect(container(upgraded, 'admin-waf')).toEqual(container(ab, 'admin-waf'));
    expect(service(upgraded)).toEqual(service(ab));
  });
  it('removing either one leaves what the other alone would have written', () => {
    expect(run('waf-removed', ab)).toBe(b);
    expect(run('waf-removed', ba)).toBe(b);
    expect(run('admin-waf-removed', ab)).toBe(a);
    expect(run('admin-waf-removed', ba)).toBe(a);
    // and both, in either order: what the user wrote, comments and all.
    expect(run('waf-removed', run('admin-waf-removed', ab))).toBe(source);
    expect(run('admin-waf-removed', run('waf-removed', ba))).toBe(source);
  });
});

describe('a chain: bot-filter fronts waf', () => {
  const a = run('waf', source);
  const ac = run('bot-filter', a);

  it('is a golden case, and so are removing each one', () => {
    caseFrom('chain-bot-filter-fronts-waf', a, 'bot-filter');
    caseFrom('chain-remove-bot-filter', ac, 'bot-filter-removed');
    caseFrom('chain-remove-waf-error', ac, 'waf-removed');
    caseFrom('two-injections-same-app-port-error', a, 'twin-waf');
  });
  it('sends the Service to bot-filter, which forwards to waf, which forwards to the app', () => {
    expect(service(ac).spec.ports[0].targetPort).toBe(9443);
    const env = (name: string) => container(ac, name)!.env.find((e: Obj) => e.name === 'APP_PORT').value;
    expect(env('bot-filter')).toBe('8443');
    expect(env('waf')).toBe('8080');
    // The NetworkPolicy admits each hop's port that traffic from outside the pod uses.
    const policy = objects(ac)[2]!;
    expect(policy.spec.ingress[0].ports.map((p: Obj) => p.port)).toEqual([8080, 9090, 8443, 9443]);
  });
  it('re-running either one changes nothing', () => {
    expect(run('waf', ac)).toBe(ac);
    expect(run('bot-filter', ac)).toBe(ac);
  });
  it('removing the second gives back the first alone, byte for byte', () => {
    expect(run('bot-filter-removed', ac)).toBe(a);
  });
  it('removing the first while the second fronts it is an error naming both', () => {
    const out = runStream(config('waf-removed'), 'waf-removed.yaml', ac);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /injection "bot-filter" \(sidecar "bot-filter"\) fronts listen port 8443 of this injection "waf"/,
    );
  });
});
