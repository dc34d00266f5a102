// Every sidecar in every golden output runs under the Pod Security "restricted" profile's container
// rules, checked here on their own (not with src/): where a case breaks a rule on purpose, the run
// said so in a warning naming that rule.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Obj, podOf } from './invariants.js';
import { objectsOf, repo } from './tools.js';

/** The restricted profile's rules for one container (kubernetes.io/docs/concepts/security/pod-security-standards). */
function brokenRules(c: Obj): string[] {
  const s: Obj = c.securityContext ?? {};
  const rules: [boolean, string][] = [
    [s.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation must be false'],
    [s.privileged !== true, 'privileged must not be true'],
    [(s.capabilities?.drop ?? []).includes('ALL'), 'capabilities.drop must include ALL'],
    [
      (s.capabilities?.add ?? []).every((cap: string) => cap === 'NET_BIND_SERVICE'),
      'capabilities.add may hold only NET_BIND_SERVICE',
    ],
    [s.runAsNonRoot === true, 'runAsNonRoot must be true'],
    [s.runAsUser !== 0, 'runAsUser must not be 0'],
    [
      ['RuntimeDefault', 'Localhost'].includes(s.seccompProfile?.type),
      'seccompProfile.type must be RuntimeDefault or Localhost',
    ],
  ];
  return rules.filter(([ok]) => !ok).map(([, rule]) => rule);
}

const root = join(repo, 'fixtures');
const succeeded = (d: string) => parse(readFileSync(join(root, d, 'results.yaml'), 'utf8')).exitCode === 0;
const cases = readdirSync(root).filter((d) => existsSync(join(root, d, 'output.yaml')) && succeeded(d));

function sidecarNameOf(dir: string): string | undefined {
  const config = existsSync(join(dir, 'config.yaml'))
    ? parse(readFileSync(join(dir, 'config.yaml'), 'utf8'))
    : parse(readFileSync(join(dir, 'resource-list.yaml'), 'utf8'))?.functionConfig;
  return config?.spec?.container?.name ?? config?.data?.name;
}

/** The sidecars a golden case's output holds, each with the object it is in. */
function sidecarsOf(name: string): { o: Obj; container: Obj }[] {
  const dir = join(root, name);
  const sidecar = sidecarNameOf(dir);
  const output = readFileSync(join(dir, 'output.yaml'), 'utf8');
  const objects = objectsOf(output).flatMap((o) => (o.kind === 'ResourceList' ? (o.items ?? []) : [o]));
  const found: { o: Obj; container: Obj }[] = [];
  for (const o of objects.flatMap((x) => (x.kind === 'List' ? (x.items ?? []) : [x]))) {
    // Regular sidecars in containers, native ones in initContainers.
    const pod = podOf(o)?.spec;
    const container = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].find(
      (c: Obj) =>
        (c.name === sidecar && c.securityContext !== undefined) ||
        (c.name === sidecar && podOf(o)?.metadata?.annotations?.['inject-sidecar.dev/status']),
    );
    if (container) found.push({ o, container });
  }
  return found;
}

describe('every rendered sidecar is restricted, or the run said which rule it breaks', () => {
  it.each(cases)('%s', (name) => {
    const warnings: string[] = (parse(readFileSync(join(root, name, 'results.yaml'), 'utf8')).results ?? [])
      .filter((r: Obj) => r.severity === 'warning')
      .map((r: Obj) => r.message);
    for (const { o, container } of sidecarsOf(name))
      for (const rule of brokenRules(container))
        expect(
          warnings.some((w) => w.includes(rule)),
          `${o.kind} ${o.metadata?.name}: ${rule}`,
        ).toBe(true);
  });
  // Counted on its own, so this test means the same run alone or after the others.
  it('checked sidecars in the goldens', () =>
    expect(cases.reduce((n, name) => n + sidecarsOf(name).length, 0)).toBeGreaterThan(30));
});

describe('the containers the examples ship run restricted, with a numeric user', () => {
  const patches = ['examples/argocd/repo-server', 'examples/argocd/cmp'].map((d) =>
    join(d, 'argocd-repo-server-patch.yaml'),
  );
  // Only our own containers: the patch also names Argo CD's repo-server container, to mount a volume in it.
  const ours = patches.flatMap((p) => {
    const spec = parse(readFileSync(join(repo, p), 'utf8')).spec.template.spec;
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
      .filter((c: Obj) => c.name !== 'argocd-repo-server')
      .map((c: Obj) => [`${p}: ${c.name}`, c] as const);
  });
  it('finds them', () => expect(ours.length).toBe(3));
  it.each(ours)('%s', (_, c) => {
    expect(brokenRules(c)).toEqual([]);
    expect(Number.isInteger(c.securityContext.runAsUser) && c.securityContext.runAsUser > 0).toBe(true);
  });
});
