// Every message reaches a person (issue 19): the summary line, a selection that comes to nothing,
// hooks, --strict and spec.strict, and the copies of stderr for routes that drop it
// (INJECT_SIDECAR_LOG, --messages-to-tty). The Helm routes themselves: helm.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSelectorString, selectorString } from '../src/objects/selector.js';
import { runResourceList, runStream } from '../src/run.js';
import { fn, repo, run } from './tools.js';

const shop = readFileSync(join(repo, 'examples/kustomize/manifests.yaml'), 'utf8');
const config = (spec: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: { matchLabels: { waf: 'enabled' } },
      container: {
        name: 'waf',
        image: 'wallarm/node:4.10',
        securityContext: { runAsUser: 100 },
        readinessProbe: { tcpSocket: { port: 8443 } },
      },
      ports: [{ listenPort: 8443 }],
      ...spec,
    },
  });
const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-messages-'));
const file = (name: string, text: string) => {
  writeFileSync(join(work, name), text);
  return join(work, name);
};

/** The shop with a NetworkPolicy over the storefront, and a Helm test Pod carrying its labels. */
const shopWithHooks = `${shop}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: storefront}
spec:
  podSelector: {matchLabels: {app: storefront}}
  ingress: [{ports: [{port: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata:
  name: storefront-test
  labels: {app: storefront, waf: enabled}
  annotations: {helm.sh/hook: test}
spec:
  restartPolicy: Never
  containers: [{name: wget, image: busybox, ports: [{containerPort: 8080}]}]
`;

describe('the summary line', () => {
  it('says what the run did: workloads with the sidecar, Services rewired, policies, warnings', () => {
    const out = runStream(config({ networkPolicies: 'replace' }), 'waf.yaml', shopWithHooks);
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe(
      'inject-sidecar: injection "waf": sidecar in 2 workloads, 2 Services rewired, 1 NetworkPolicy following it, 0 warnings\n',
    );
  });
  it('counts the warnings it printed above it', () => {
    const out = runStream(config({ ports: [{ listenPort: 8443 }, { appPort: 9999, listenPort: 9443 }] }), 'w', shop);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^inject-sidecar: warning: spec.ports\[1\] \(appPort 9999, listenPort 9443\/TCP\) applies/,
    );
    expect(lines[1]).toMatch(/, 1 warning$/);
  });
  it('is not printed on failure: the errors are', () => {
    const out = runStream(config({ ports: [{ listenPort: 84430 }] }), 'waf.yaml', shop);
    expect(out.exitCode).toBe(1);
    expect(out.stderr).not.toContain('injection "waf":');
  });
});

describe('hooks', () => {
  it('are never injected, even when spec.kinds lists their kind, and one info names them', () => {
    const out = runStream(config({ kinds: ['Deployment', 'Pod'] }), 'waf.yaml', shopWithHooks);
    expect(out.stdout).toContain('name: storefront-test');
    const pod = out.stdout.slice(out.stdout.indexOf('name: storefront-test'));
    expect(pod).not.toContain('name: waf');
    const infos = out.results.filter((r) => r.message.startsWith('left alone'));
    expect(infos.map((r) => r.message)).toEqual([
      'left alone 1 hook, not workloads of the release: Pod storefront-test (helm.sh/hook: test)',
    ]);
  });
  it('are not pods behind a Service, in the plan or in the audit', () => {
    const out = runStream(config({ networkPolicies: 'replace' }), 'waf.yaml', shopWithHooks);
    expect(out.results.filter((r) => r.severity === 'warning')).toEqual([]);
    const audit = runStream(config({ networkPolicies: 'replace' }), 'waf.yaml', out.stdout, { audit: true });
    const paths = audit.results.filter((r) => r.severity === 'error').map((r) => r.message);
    expect(paths.filter((m) => m.includes('storefront-test'))).toEqual([]);
  });
});

describe('a selection that comes to nothing', () => {
  it('names the selector, kinds and namespaces', () => {
    const out = runStream(
      config({
        selector: { matchLabels: { waf: 'enabeld' } },
        kinds: ['Deployment', 'StatefulSet'],
        namespaces: ['shop'],
      }),
      'waf.yaml',
      shop,
    );
    expect(out.exitCode).toBe(0);
    expect(out.stderr.split('\n')[0]).toBe(
      'inject-sidecar: warning: selects no workload: none of the 3 workloads in the input is a Deployment or StatefulSet (spec.kinds) ' +
        'whose labels match selector "waf=enabeld" in namespace shop (spec.namespaces), so no sidecar is added and no Service is rewired. ' +
        'Is a label or a kind misspelt? (field spec.selector)',
    );
  });
  it('is a warning in the audit, not a clean package', () => {
    const out = runStream(config({ selector: { matchLabels: { waf: 'enabeld' } } }), 'waf.yaml', shop, { audit: true });
    expect(out.stderr).toMatch(/^inject-sidecar: warning: selects no workload/);
    expect(out.stderr).not.toContain('no path reaches');
  });
  it('a workload whose labels match but whose kind spec.kinds leaves out is a path in the audit', () => {
    const dir = join(repo, 'fixtures/kind-not-in-kinds');
    const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
    const out = runStream(config, 'config.yaml', readFileSync(join(dir, 'output.yaml'), 'utf8'), { audit: true });
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain(
      'inject-sidecar: error: StatefulSet api: its labels match the selector, but spec.kinds leaves out StatefulSet',
    );
  });
  it('the audit counts a mesh policy on a fronted port, as the render warns of it', () => {
    const dir = join(repo, 'fixtures/mesh-peer-authentication-port-mtls');
    const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
    const out = runStream(config, 'config.yaml', readFileSync(join(dir, 'output.yaml'), 'utf8'), { audit: true });
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain(
      'inject-sidecar: error: PeerAuthentication shop/web: sets the mTLS mode of app port 8080',
    );
  });
  it.each([
    ['flagger-canary-app-port', 'Canary shop/web: Flagger makes the Services of Deployment shop/web at run time'],
    [
      'foreign-policies-not-evaluated',
      'CiliumNetworkPolicy shop/allow-all: may admit a fronted app port of Deployment shop/web',
    ],
  ])('the audit counts %s as a path', (fixture, path) => {
    const dir = join(repo, 'fixtures', fixture);
    const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
    const out = runStream(config, 'config.yaml', readFileSync(join(dir, 'output.yaml'), 'utf8'), { audit: true });
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain(`inject-sidecar: error: ${path}`);
  });
  it('a clean audit says so on stderr', () => {
    const rendered = runStream(config({ networkPolicies: 'generate' }), 'waf.yaml', shop).stdout;
    const out = runStream(config({ networkPolicies: 'generate' }), 'waf.yaml', rendered, { audit: true });
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe(
      'inject-sidecar: audit: no path reaches a fronted app port without passing the sidecar "waf"\n',
    );
  });
});

describe('pods of a kind the function does not know (a CloneSet beside the Deployment)', () => {
  const dir = join(repo, 'fixtures/foreign-pod-template-kinds');
  const policy = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}]}]
`;
  const input = readFileSync(join(dir, 'input.yaml'), 'utf8') + policy;
  const replace = readFileSync(join(dir, 'config.yaml'), 'utf8').replace(
    /^ {2}ports:/m,
    '  networkPolicies: replace\n  ports:',
  );
  it("count in the policy plan: replace keeps the app port the CloneSet's pods still serve on", () => {
    const out = runStream(replace, 'config.yaml', input);
    expect(out.stderr).toContain(
      'NetworkPolicy web: ingress[0] keeps app port 8080: the policy also selects pods without the sidecar',
    );
  });
  it('count in the audit: the Service left over them is a path', () => {
    const rendered = runStream(replace, 'config.yaml', input).stdout;
    const audit = runStream(replace, 'config.yaml', rendered, { audit: true });
    expect(audit.exitCode).toBe(1);
    expect(audit.stderr).toContain(
      'inject-sidecar: error: Service web: port 80 still targets app port 8080 of Deployment web',
    );
  });
});

describe('strict', () => {
  const typo = config({ selector: { matchLabels: { waf: 'enabeld' } } });
  const failsWith = (out: ReturnType<typeof runStream>, why: string) => {
    expect(out.exitCode).toBe(1);
    expect(out.stdout === '' || !out.stdout.includes('kind: Deployment')).toBe(true);
    expect(out.stderr).toMatch(/^inject-sidecar: error: selects no workload/);
    expect(out.stderr).toContain(`1 warning fails the render: ${why} makes every warning an error`);
  };
  it('--strict (plain mode)', () => failsWith(runStream(typo, 'waf.yaml', shop, { strict: true }), '--strict'));
  it('spec.strict: true', () =>
    failsWith(runStream(config({ strict: true, selector: { matchLabels: { waf: 'x' } } }), 'w', shop), 'spec.strict'));
  it('the ConfigMap key strict: "true" (kpt fn eval -- strict=true)', () => {
    const list = stringify({
      apiVersion: 'config.kubernetes.io/v1',
      kind: 'ResourceList',
      items: [],
      functionConfig: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'waf' },
        data: { selector: 'waf=enabled', name: 'waf', image: 'w', listenPort: '8443', strict: 'true' },
      },
    });
    const out = runResourceList(list);
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain('selects no workload: the input holds none');
  });
  it('passes a run with no warning', () =>
    expect(runStream(config(), 'waf.yaml', shop, { strict: true }).exitCode).toBe(0));
  it.each([
    [['--strict', 'CONFIG']],
    [['--audit', '--strict', 'CONFIG']],
    [['--strict', '--audit', 'CONFIG']],
    [['--messages-to-tty', '--strict', 'CONFIG']],
  ])('the executable takes %j', (args) => {
    const path = file('typo.yaml', typo);
    const r = run(
      fn,
      args.map((a) => (a === 'CONFIG' ? path : a)),
      { input: shop },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^inject-sidecar: error: selects no workload/);
  });
});

describe('copies of stderr for routes that drop it', () => {
  it('INJECT_SIDECAR_LOG appends every stderr line, on success and on failure', () => {
    const log = join(work, 'run.log');
    const ok = run(fn, [file('ok.yaml', config())], { input: shop, env: { INJECT_SIDECAR_LOG: log } });
    const bad = run(fn, [file('bad.yaml', config({ ports: [{ listenPort: 0 }] }))], {
      input: shop,
      env: { INJECT_SIDECAR_LOG: log },
    });
    expect(bad.status).toBe(1);
    expect(readFileSync(log, 'utf8')).toBe(ok.stderr + bad.stderr);
  });
  it('a log that cannot be written is a warning on stderr, never a failed render', () => {
    const r = run(fn, [file('ok.yaml', config())], {
      input: shop,
      env: { INJECT_SIDECAR_LOG: join(work, 'missing-dir/run.log') },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('name: waf');
    expect(r.stderr).toMatch(/warning: cannot append to INJECT_SIDECAR_LOG .*missing-dir\/run\.log: ENOENT/);
  });
  it('--messages-to-tty with no terminal changes nothing', () => {
    const plain = run(fn, [file('ok.yaml', config())], { input: shop });
    const tty = run(fn, ['--messages-to-tty', file('ok.yaml', config())], { input: shop });
    expect(tty).toEqual(plain);
  });
});

describe('selectorString: the -l form kubectl prints, parseSelectorString read back', () => {
  it.each([
    [{}, ''],
    [{ matchLabels: { app: 'web', tier: 'front' } }, 'app=web,tier=front'],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, 'app'],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, '!canary'],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, 'env in (a,b)'],
    [
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      'app=web,env notin (dev)',
    ],
  ] as const)('%j is %j', (selector, text) => {
    expect(selectorString(selector as never)).toBe(text);
    expect(parseSelectorString(text)).toEqual(selector);
  });
});
