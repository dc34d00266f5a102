// End to end through the real tools, on every run: standalone kustomize with a KRM exec
// transformer, kubectl kustomize with the legacy exec plugin, kpt fn render (in place, twice) and
// kpt fn eval with the ConfigMap form. Outputs are compared with test/expected/ (UPDATE_GOLDEN=1
// rewrites them).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomize5 } from './fetched.js';
import { expectGolden } from './golden.js';
import {
  expectClean,
  expectShop,
  fn,
  KPT_EVAL_ARGS,
  objectsOf,
  pathWithDist,
  repo,
  run,
  snapshot,
  tempCopy,
  tool,
  versionLine,
} from './tools.js';

const golden = (name: string, actual: string) => expectGolden([join(repo, 'test/expected', name), actual]);

/** The kustomize example with a listen port out of range: the build fails with the reason, no stack trace. */
function expectBadConfigFails(kustomize: string): void {
  const dir = tempCopy(join(repo, 'examples/kustomize'));
  const waf = join(dir, 'waf.yaml');
  writeFileSync(
    waf,
    readFileSync(waf, 'utf8').replace('../../dist/inject-sidecar', fn).replace('listenPort: 8443', 'listenPort: 84430'),
  );
  const r = run(kustomize, ['build', '--enable-alpha-plugins', '--enable-exec', dir]);
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('invalid config: a port is 1 to 65535 (field spec.ports[0].listenPort)');
  expect(r.stderr).not.toMatch(/\n\s+at .*\.js/);
}

describe('standalone kustomize, KRM exec transformer', () => {
  const kustomize = tool('kustomize');
  it.skipIf(!kustomize)('builds the example with the sidecar and the Services rewired', () => {
    const r = run(kustomize!, ['build', '--enable-alpha-plugins', '--enable-exec', 'examples/kustomize']);
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    // examples/kustomize: the Wallarm preset, whose container is named wallarm.
    expectShop(r.stdout, 'wallarm');
    golden('kustomize.yaml', r.stdout);
  });
  it.skipIf(!kustomize)('fails the build with the reason on stderr when the config is bad', () =>
    expectBadConfigFails(kustomize!),
  );
});

// What Argo CD bundles: 5.6.0 (3.0) and 5.8.1 (3.3 to 3.5), from Debian trixie and sid (fetched.ts).
for (const suite of ['trixie', 'sid'] as const) {
  const kustomize = kustomize5(suite);
  describe(`standalone kustomize ${kustomize?.version ?? '5'} (Debian ${suite}), KRM exec transformer`, () => {
    it.skipIf(!kustomize).each([
      ['examples/kustomize', 'kustomize.yaml'],
      ['examples/every-kind', 'every-kind-kustomize.yaml'],
    ])('builds %s exactly as kustomize 4.5.4 does (test/expected/%s)', (example, expected) => {
      const r = run(kustomize!.path, ['build', '--enable-alpha-plugins', '--enable-exec', example]);
      expect(r.status, r.stderr).toBe(0);
      expectClean(r.stderr);
      expect(r.stdout).toBe(readFileSync(join(repo, 'test/expected', expected), 'utf8'));
    });
    it.skipIf(!kustomize)('fails the build with the reason on stderr when the config is bad', () =>
      expectBadConfigFails(kustomize!.path),
    );
  });
}

// kustomize without --enable-exec skips an exec function without a word (exit 0, no sidecar): the
// audit of what it rendered is how CI catches that (docs/routes.md).
describe('a render where the function did not run', () => {
  const builds = [
    ['4.5.4', tool('kustomize')],
    ['5.8.1', kustomize5('sid')?.path],
  ] as const;
  it.each(builds)('kustomize %s without --enable-exec: exit 0, no sidecar; the audit fails it', (_, kustomize) => {
    if (!kustomize) return;
    const r = run(kustomize, ['build', '--enable-alpha-plugins', 'examples/kustomize']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('name: wallarm');
    const audit = run(fn, ['--audit', 'examples/kustomize/waf.yaml'], { input: r.stdout });
    expect(audit.status).toBe(1);
    expect(audit.stderr).toMatch(
      /^inject-sidecar: error: Deployment storefront: selected, but has no sidecar "wallarm"/m,
    );
  });
});

describe('kubectl kustomize, legacy exec plugin', () => {
  const kubectl = tool('kubectl');
  it.skipIf(!kubectl)('builds the example through $KUSTOMIZE_PLUGIN_HOME', () => {
    const dir = join(repo, 'examples/kubectl-kustomize');
    const r = run(kubectl!, ['kustomize', '--enable-alpha-plugins', dir], {
      env: { KUSTOMIZE_PLUGIN_HOME: join(dir, 'plugins') },
    });
    // kubectl's legacy exec plugin route drops a plugin's stderr on success: no summary line reaches here.
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectShop(r.stdout);
    golden('kubectl-kustomize.yaml', r.stdout);
  });
});

describe('kpt fn render --allow-exec, in place', () => {
  const kpt = tool('kpt');
  it.skipIf(!kpt)('renders, and a second render changes nothing, with every comment kept once', () => {
    const dir = tempCopy(join(repo, 'examples/kpt'));
    const first = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(first.status, first.stderr).toBe(0);
    const rendered = readFileSync(join(dir, 'manifests.yaml'), 'utf8');
    expectShop(rendered);
    golden('kpt-render-manifests.yaml', rendered);
    const source = readFileSync(join(repo, 'examples/kpt/manifests.yaml'), 'utf8');
    for (const comment of source.match(/#.*$/gm)!) expect(rendered.split(comment).length - 1, comment).toBe(1);
    const before = snapshot(dir);
    const second = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });
  // One failed render is enough: every failure class (bad config, unreadable item, a collision, a
  // tampered annotation) is a golden case that exits 1 with no items, and kpt writes nothing then.
  it.skipIf(!kpt)('fails on a bad config and leaves every file byte-identical', () => {
    const dir = tempCopy(join(repo, 'examples/kpt'));
    const waf = join(dir, 'waf.yaml');
    writeFileSync(waf, readFileSync(waf, 'utf8').replace('name: waf-http', 'name: waf_http'));
    const before = snapshot(dir);
    const r = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('spec.ports[0].name');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('a package with every workload kind and two injections, one chained in front of the other', () => {
  // examples/every-kind: a WAF (preset modsecurity-crs) on every kind, native in the Job and the
  // CronJob; a Rollout taking its pods from a Deployment; a bot filter fronting the WAF on "web".
  const kustomize = tool('kustomize');
  const kpt = tool('kpt');
  const byId = (text: string) =>
    new Map(objectsOf(text).map((o) => [`${o.kind}/${o.metadata.name}`, o] as [string, Record<string, any>]));
  const check = (text: string) => {
    const objects = byId(text);
    const sidecarsOf = (id: string) => {
      const o = objects.get(id)!;
      const pod =
        o.kind === 'CronJob'
          ? o.spec.jobTemplate.spec.template
          : o.kind === 'Pod'
            ? o
            : o.kind === 'PodTemplate'
              ? o.template
              : o.spec.template;
      const names = (list: Record<string, any>[] = []) => list.map((c) => c.name).filter((n) => n !== 'app');
      const running = (pod.spec.initContainers ?? []).filter((c: Record<string, any>) => c.restartPolicy === 'Always');
      return { regular: names(pod.spec.containers), native: names(running) };
    };
    for (const id of [
      'StatefulSet/db',
      'DaemonSet/edge',
      'ReplicaSet/legacy',
      'ReplicationController/older',
      'Pod/debug',
      'Rollout/shop',
      'Deployment/store',
      'PodTemplate/api',
    ])
      expect(sidecarsOf(id), id).toEqual({ regular: ['modsecurity'], native: [] });
    for (const id of ['Job/migrate', 'CronJob/report'])
      expect(sidecarsOf(id), id).toEqual({ regular: [], native: ['modsecurity'] });
    expect(sidecarsOf('Deployment/web')).toEqual({ regular: ['modsecurity', 'bot-filter'], native: [] });
    const target = (id: string) => objects.get(id)!.spec.ports[0].targetPort;
    expect(target('Service/web')).toBe(9443);
    for (const id of [
      'db',
      'edge',
      'legacy',
      'older',
      'debug',
      'shop-canary',
      'shop-stable',
      'store-active',
      'store-preview',
    ])
      expect(target(`Service/${id}`), id).toBe(8443);
    // The Rollout that names its Deployment is itself left as written.
    expect(objects.get('Rollout/store')!.spec.template).toBeUndefined();
    return objects;
  };
  it.skipIf(!kustomize || !kpt)(
    'renders through standalone kustomize and kpt fn render alike, and a second render changes nothing',
    () => {
      const built = run(kustomize!, ['build', '--enable-alpha-plugins', '--enable-exec', 'examples/every-kind']);
      expect(built.status, built.stderr).toBe(0);
      golden('every-kind-kustomize.yaml', built.stdout);
      const fromKustomize = check(built.stdout);
      // A second run of both transformers, in order, over kustomize's output changes nothing.
      let again = built.stdout;
      for (const config of ['waf.yaml', 'bot-filter.yaml']) {
        const r = run(fn, [join(repo, 'examples/every-kind', config)], { input: again });
        expect(r.status, r.stderr).toBe(0);
        again = r.stdout;
      }
      expect(again).toBe(built.stdout);
      const dir = tempCopy(join(repo, 'examples/every-kind'));
      const first = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
      expect(first.status, first.stderr).toBe(0);
      const rendered = readFileSync(join(dir, 'manifests.yaml'), 'utf8');
      golden('every-kind-kpt.yaml', rendered);
      const fromKpt = check(rendered);
      // The same objects either way (kustomize sorts keys and drops comments; kpt keeps both).
      expect([...fromKpt.keys()].sort()).toEqual([...fromKustomize.keys()].sort());
      for (const [id, o] of fromKpt) {
        const { annotations = {}, ...metadata } = o.metadata;
        for (const k of Object.keys(annotations))
          if (k.startsWith('config.kubernetes.io/') || k.startsWith('internal.')) delete annotations[k];
        expect(
          { ...o, metadata: Object.keys(annotations).length ? { ...metadata, annotations } : metadata },
          id,
        ).toEqual(fromKustomize.get(id));
      }
      const before = snapshot(dir);
      const second = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
      expect(second.status, second.stderr).toBe(0);
      expect(snapshot(dir)).toEqual(before);
    },
  );
});

describe('kpt fn render with networkPolicies: generate', () => {
  const kpt = tool('kpt');
  it.skipIf(!kpt)(
    'writes one policy file per unguarded workload, keeps them on a second render, removes them on follow',
    () => {
      const dir = tempCopy(join(repo, 'examples/kpt'));
      const waf = join(dir, 'waf.yaml');
      const config = readFileSync(waf, 'utf8');
      writeFileSync(waf, config.replace(/^ {2}ports:/m, '  networkPolicies: generate\n  ports:'));
      const render = () => run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
      expect(render().status).toBe(0);
      const policies = readdirSync(dir)
        .filter((f) => f.startsWith('networkpolicy_'))
        .sort();
      expect(policies).toEqual(['networkpolicy_checkout-waf.yaml', 'networkpolicy_storefront-waf.yaml']);
      const checkout = objectsOf(readFileSync(join(dir, policies[0]!), 'utf8'))[0]!;
      expect(checkout.spec.podSelector).toEqual({ matchLabels: { app: 'checkout' } });
      expect(checkout.spec.ingress).toEqual([{ ports: [{ port: 8443 }] }]);
      const before = snapshot(dir);
      expect(render().status).toBe(0);
      expect(snapshot(dir)).toEqual(before);
      writeFileSync(waf, config);
      expect(render().status).toBe(0);
      expect(readdirSync(dir).filter((f) => f.startsWith('networkpolicy_'))).toEqual([]);
    },
  );
});

describe('--audit on the rendered example', () => {
  const kpt = tool('kpt');
  // Policies for the two fronted workloads, admitting their app ports: replace needs a policy that
  // selects each pod (it changes policies, it does not create them; generate does).
  const policies = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: storefront
spec:
  podSelector:
    matchLabels:
      app: storefront
  ingress:
    - ports:
        - port: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: checkout
spec:
  podSelector:
    matchLabels:
      app: checkout
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: storefront
      ports:
        - port: 5000
`;
  const audit = (dir: string) => {
    const manifests = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && f !== 'waf.yaml' && f !== 'Kptfile')
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('---\n');
    return run(fn, ['--audit', join(dir, 'waf.yaml')], { input: manifests });
  };
  it.skipIf(!kpt).each([
    ['generate', false, 0],
    // generate is replace and generate: the package's own policies lose the app ports too.
    ['generate', true, 0],
    ['replace', true, 0],
    ['keep', true, 1],
    ['follow', true, 1],
    // Without policies, replace has nothing to take the app port out of: east-west stays open.
    ['replace', false, 1],
    ['keep', false, 1],
  ] as const)('networkPolicies: %s (policies in the package: %s) -> exit %i', (mode, withPolicies, status) => {
    const dir = tempCopy(join(repo, 'examples/kpt'));
    if (withPolicies)
      writeFileSync(join(dir, 'manifests.yaml'), readFileSync(join(dir, 'manifests.yaml'), 'utf8') + policies);
    const waf = join(dir, 'waf.yaml');
    writeFileSync(waf, readFileSync(waf, 'utf8').replace(/^ {2}ports:/m, `  networkPolicies: ${mode}\n  ports:`));
    const r = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(r.status, r.stderr).toBe(0);
    const a = audit(dir);
    expect(a.status, a.stderr).toBe(status);
    if (status === 0) expectClean(a.stderr);
    else if (withPolicies)
      expect(a.stderr).toMatch(/^inject-sidecar: error: NetworkPolicy [a-z]+: ingress\[0\] admits app port/m);
    else expect(a.stderr).toMatch(/^inject-sidecar: error: Deployment storefront: no NetworkPolicy selects its pods/m);
  });
  it.skipIf(!kpt)('runs as a kpt validator (spec.mode: audit) and fails the render on the unrendered example', () => {
    const dir = tempCopy(join(repo, 'examples/kpt'));
    const waf = join(dir, 'waf.yaml');
    writeFileSync(
      join(dir, 'audit.yaml'),
      readFileSync(waf, 'utf8').replace(/^ {2}ports:/m, '  mode: audit\n  ports:'),
    );
    const kptfile = join(dir, 'Kptfile');
    writeFileSync(
      kptfile,
      `${readFileSync(kptfile, 'utf8')}  validators:\n    - exec: inject-sidecar\n      configPath: audit.yaml\n`,
    );
    writeFileSync(kptfile, readFileSync(kptfile, 'utf8').replace(/ {2}mutators:\n(?: {4}.*\n)+/, ''));
    const before = snapshot(dir);
    const r = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/selected, but has no sidecar "waf"/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('kpt fn eval --exec, ConfigMap form', () => {
  const kpt = tool('kpt');
  it.skipIf(!kpt)('takes the settings as key=value arguments', () => {
    const dir = tempCopy(join(repo, 'examples/kpt-eval'));
    const r = run(kpt!, ['fn', 'eval', dir, '--exec', fn, '--', ...KPT_EVAL_ARGS]);
    expect(r.status, r.stderr).toBe(0);
    const out = readFileSync(join(dir, 'manifests.yaml'), 'utf8');
    expectShop(out);
    golden('kpt-eval-manifests.yaml', out);
  });
  it.skipIf(!kpt)('names the bad key', () => {
    const dir = tempCopy(join(repo, 'examples/kpt-eval'));
    const before = snapshot(dir);
    const r = run(kpt!, [
      'fn',
      'eval',
      dir,
      '--exec',
      fn,
      '--',
      'selector=waf=enabled',
      'name=waf',
      'image=x',
      'listenport=8443',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unknown ConfigMap key listenport');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('the CLI', () => {
  it.each(['--help', '-h'])('%s prints usage', (flag) => {
    const r = run(fn, [flag]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^inject-sidecar \d+\.\d+\.\d+/);
    expect(r.stdout).toContain('inject-sidecar CONFIG.yaml < manifests.yaml');
  });
  it('--version prints the package version and the Node it runs on', () => {
    expect(run(fn, ['--version']).stdout).toBe(versionLine());
  });
  it('plain mode transforms a stream', () => {
    const r = run(fn, [join(repo, 'examples/kubectl-kustomize/waf.yaml')], {
      input: readFileSync(join(repo, 'examples/kustomize/manifests.yaml'), 'utf8'),
    });
    expect(r.status).toBe(0);
    expectShop(r.stdout);
  });
  it.each([
    [['--frobnicate'], /unknown flag --frobnicate/],
    [['-x'], /unknown flag -x/],
    [['--version=2'], /flag --version takes no value/],
    [['--', '--help'], /cannot read config file --help: ENOENT/],
    [['a.yaml', 'b.yaml'], /at most one argument/],
    [['/nonexistent/config.yaml'], /cannot read config file \/nonexistent\/config.yaml: ENOENT/],
  ])('%j is an error without a stack', (args, message) => {
    const r = run(fn, args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('runs with no node_modules beside it', () => {
    const dir = tempCopy(join(repo, 'dist'));
    const r = run(join(dir, 'inject-sidecar'), ['--version'], { cwd: dir });
    expect(r.status).toBe(0);
  });
});

describe('examples/log-shipper: volumes, a shared directory, a pull Secret and an override', () => {
  const kustomize = tool('kustomize');
  const kpt = tool('kpt');
  /** Each Deployment's pod spec, by name. */
  const pods = (text: string) =>
    new Map(
      objectsOf(text)
        .filter((o) => o.kind === 'Deployment')
        .map((o) => [o.metadata.name as string, o.spec.template.spec]),
    );
  const expectShipped = (text: string) => {
    const byName = pods(text);
    for (const name of ['storefront', 'orders']) {
      const pod = byName.get(name)!;
      const shipper = pod.containers.find((c: { name: string }) => c.name === 'log-shipper');
      const app = pod.containers.find((c: { name: string }) => c.name === name);
      expect(
        pod.volumes.map((v: { name: string }) => v.name),
        name,
      ).toContain('app-logs');
      expect(app.volumeMounts).toContainEqual({ name: 'app-logs', mountPath: '/var/log/app' });
      expect(shipper.volumeMounts).toEqual([{ name: 'app-logs', mountPath: '/var/log/app', readOnly: true }]);
      expect(pod.imagePullSecrets, name).toEqual([{ name: 'registry-example-com' }]);
      const level = shipper.env.find((e: { name: string }) => e.name === 'FLB_LOG_LEVEL').value;
      expect(level, name).toBe(name === 'orders' ? 'debug' : 'info');
    }
    expect(byName.get('cache').containers).toHaveLength(1);
    expect(byName.get('cache').volumes).toBeUndefined();
  };
  it.skipIf(!kustomize)('the README command: standalone kustomize', () => {
    const r = run(kustomize!, ['build', '--enable-alpha-plugins', '--enable-exec', 'examples/log-shipper']);
    expect(r.status, r.stderr).toBe(0);
    expectClean(r.stderr);
    golden('log-shipper-kustomize.yaml', r.stdout);
    expectShipped(r.stdout);
  });
  it.skipIf(!kpt)('the README command: kpt fn render, twice; then deselected, the files are back as written', () => {
    const dir = tempCopy(join(repo, 'examples/log-shipper'));
    const first = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(first.status, first.stderr).toBe(0);
    const rendered = readFileSync(join(dir, 'manifests.yaml'), 'utf8');
    golden('log-shipper-kpt.yaml', rendered);
    expectShipped(rendered);
    const before = snapshot(dir);
    const second = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    // Nothing selected any more: every part the injection brought goes, the user's stay.
    const config = join(dir, 'logs.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace('logs: ship\n  container', 'logs: nothing\n  container'),
    );
    const third = run(kpt!, ['fn', 'render', dir, '--allow-exec'], { env: pathWithDist() });
    expect(third.status, third.stderr).toBe(0);
    expect(readFileSync(join(dir, 'manifests.yaml'), 'utf8')).toBe(
      readFileSync(join(repo, 'examples/log-shipper/manifests.yaml'), 'utf8'),
    );
  });
});
