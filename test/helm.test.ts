// Helm, as users render with it: Helm 3.17.2 runs the executable as a post-renderer by path; Helm
// 4.1.4 takes only a plugin (dist/helm-plugin, type postrenderer/v1), sends it the release's hooks
// too, and drops its stderr. And kustomize 5.8.1's helmCharts, which runs `helm template` (hooks and
// test Pods included) before the transformer. Real binaries (fetched.ts), real charts: podinfo's from
// the corpus, and test/charts/shop, shaped as `helm create` scaffolds one.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { corpus, haveCorpus } from './corpus.js';
import { type Fetched, helm, kustomize5 } from './fetched.js';
import { dist, fn, objectsOf, repo, run } from './tools.js';

type Obj = Record<string, any>;
const podinfo = join(corpus, 'podinfo/charts/podinfo');
const shop = join(repo, 'test/charts/shop');
const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-helm-'));

/** A SidecarInjection for a chart rendered as release `rel`, written to a file Helm passes on. */
function configFile(name: string, matchLabels: Record<string, string>, more: Obj = {}): string {
  const file = join(work, `${name}.yaml`);
  const config = {
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: { matchLabels },
      // Pod and Job too: the hooks are of kinds the config selects, and must be left alone anyway.
      kinds: ['Deployment', 'Pod', 'Job'],
      container: {
        name: 'waf',
        image: 'nginxinc/nginx-unprivileged:1.27',
        securityContext: { runAsUser: 101 },
        readinessProbe: { tcpSocket: { port: 8443 } },
      },
      ports: [{ appPort: 'http', listenPort: 8443 }],
      ...more,
    },
  };
  writeFileSync(file, stringify(config));
  return file;
}

const charts = {
  podinfo: { dir: podinfo, config: () => configFile('podinfo', { 'app.kubernetes.io/name': 'rel-podinfo' }) },
  shop: { dir: shop, config: () => configFile('shop', { 'app.kubernetes.io/name': 'shop' }) },
};

/** HOME, the XDG folders and HELM_PLUGINS in a folder of this Helm's own (Helm 3 warns at a v1 plugin.yaml). */
function helmEnv(tool: Fetched): Record<string, string> {
  const home = mkdtempSync(join(work, `home-${tool.version}-`));
  const data = join(home, '.local/share');
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: data,
    // Helm 4.1.4's `plugin install` writes here whatever HELM_PLUGINS says; the two must agree.
    HELM_PLUGINS: join(data, 'helm/plugins'),
  };
}

interface Route {
  name: string;
  tool: Fetched | undefined;
  /** The flags that make Helm run the function with this config. */
  postRenderer: (config: string, ...flags: string[]) => string[];
  env: Record<string, string>;
}

const helm3 = helm(3);
const helm4 = helm(4);
const routes: Route[] = [
  {
    name: 'Helm 3.17.2, --post-renderer with the path of the executable',
    tool: helm3,
    postRenderer: (config, ...flags) => [
      '--post-renderer',
      fn,
      ...[...flags, config].flatMap((a) => ['--post-renderer-args', a]),
    ],
    env: helm3 ? helmEnv(helm3) : {},
  },
  {
    name: 'Helm 4.1.4, the postrenderer/v1 plugin from dist/helm-plugin',
    tool: helm4,
    postRenderer: (config, ...flags) => [
      '--post-renderer',
      'inject-sidecar',
      ...[...flags, config].flatMap((a) => ['--post-renderer-args', a]),
    ],
    env: helm4 ? helmEnv(helm4) : {},
  },
];

const template = (route: Route, chart: string, more: string[] = []) =>
  run(route.tool!.path, ['template', 'rel', chart, ...more], { env: route.env });

/** Each object with the `# Source:` name Helm printed above it. */
function sourced(text: string): { source: string; object: Obj }[] {
  return parseAllDocuments(text)
    .filter((d) => d.contents !== null)
    .map((d) => {
      const comment = `${d.commentBefore ?? ''}\n${d.contents?.commentBefore ?? ''}`;
      return { source: /^ ?Source: (\S+)/m.exec(comment)?.[1] ?? '', object: d.toJS() };
    });
}

const find = (objs: Obj[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name)!;
const containersOf = (o: Obj) => (o.kind === 'Pod' ? o.spec : o.spec.template.spec).containers.map((c: Obj) => c.name);
const isHook = (o: Obj) => o.metadata.annotations?.['helm.sh/hook'] !== undefined;
/** podinfo names its test Pods with `randAlphaNum 5`: one render's hook, found in another by the rest of its name. */
const stable = (name: string) => name.replace(/-[a-z0-9]{5}$/, '');
function expectUntouched(hook: Obj, before: Obj[]): void {
  const same = before.find((o) => o.kind === hook.kind && stable(o.metadata.name) === stable(hook.metadata.name));
  const named = (o: Obj | undefined) => o && { ...o, metadata: { ...o.metadata, name: stable(o.metadata.name) } };
  expect(named(hook), `${hook.kind} ${hook.metadata.name}`).toEqual(named(same));
}

/** What a good render of either chart must show, against the chart rendered without the function. */
function expectInjected(chart: 'podinfo' | 'shop', plain: string, rendered: string): void {
  const before = sourced(plain);
  const after = sourced(rendered);
  // Every object keeps the name of the chart file it came from (Helm 4: the file annotation, kept).
  const names = (list: typeof after) =>
    list.map((s) => `${s.source} ${s.object.kind}/${stable(s.object.metadata.name)}`).sort();
  expect(names(after).every((n) => n.startsWith(`${chart}/templates/`))).toBe(true);
  expect(names(after)).toEqual(names(before));
  expect(rendered).not.toContain('generated-by-postrender');
  const objs = after.map((s) => s.object);
  const name = chart === 'podinfo' ? 'rel-podinfo' : 'rel-shop';
  expect(containersOf(find(objs, 'Deployment', name))).toContain('waf');
  const service = find(objs, 'Service', name);
  expect(service.spec.ports.find((p: Obj) => p.name === 'http').targetPort).toBe(8443);
  if (chart === 'podinfo') expect(service.spec.ports.find((p: Obj) => p.name === 'grpc').targetPort).toBe('grpc');
  // networkPolicies: follow (the default): the rule admits the listen port too.
  if (chart === 'shop')
    expect(find(objs, 'NetworkPolicy', name).spec.ingress[0].ports).toEqual([{ port: 8080 }, { port: 8443 }]);
  // The hooks are exactly as the chart made them.
  const hooks = objs.filter(isHook);
  expect(hooks.length).toBeGreaterThanOrEqual(chart === 'podinfo' ? 3 : 2);
  for (const hook of hooks)
    expectUntouched(
      hook,
      before.map((s) => s.object),
    );
}

/** The command run at a pseudo-terminal, as a person at a terminal sees it. */
function atTerminal(route: Route, args: string[]): { status: number | null; screen: string } {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const r = spawnSync('script', ['-qec', [route.tool!.path, ...args].map(quote).join(' '), '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, ...route.env },
  });
  return { status: r.status, screen: r.stdout.replace(/\r/g, '') };
}

const BAD_PORT = 'invalid config: a port is 1 to 65535 (field spec.ports[0].listenPort)';

describe('dist/helm-plugin/plugin.yaml', () => {
  it('is a Helm 4 post-renderer plugin that runs the executable beside it, with the messages on the terminal', () => {
    const plugin = parse(readFileSync(join(dist, 'helm-plugin/plugin.yaml'), 'utf8'));
    expect(plugin).toMatchObject({
      apiVersion: 'v1',
      type: 'postrenderer/v1',
      name: 'inject-sidecar',
      runtime: 'subprocess',
    });
    expect(plugin.runtimeConfig.platformCommand).toEqual([
      { command: `\${HELM_PLUGIN_DIR}/inject-sidecar`, args: ['--messages-to-tty'] },
    ]);
    expect(readFileSync(join(dist, 'helm-plugin/inject-sidecar'))).toEqual(readFileSync(fn));
  });
});

for (const route of routes) {
  describe.skipIf(!route.tool || !haveCorpus)(route.name, () => {
    beforeAll(() => {
      if (route.tool === helm4) {
        const r = run(helm4!.path, ['plugin', 'install', join(dist, 'helm-plugin')], { env: route.env });
        expect(r.status, r.stderr).toBe(0);
      }
    });
    it.each(['podinfo', 'shop'] as const)(
      "renders %s's chart: sidecar in, Service rewired, policy followed, hooks untouched, # Source: names kept",
      (chart) => {
        const { dir, config } = charts[chart];
        const plain = template(route, dir);
        expect(plain.status, plain.stderr).toBe(0);
        const r = template(route, dir, route.postRenderer(config()));
        expect(r.status, r.stderr).toBe(0);
        expectInjected(chart, plain.stdout, r.stdout);
      },
    );
    it('fails on a bad config, with the reason where a person sees it', () => {
      const bad = configFile('bad', { 'app.kubernetes.io/name': 'shop' }, { ports: [{ listenPort: 84430 }] });
      const r = template(route, shop, route.postRenderer(bad));
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      if (route.tool === helm3) {
        expect(r.stderr).toContain(BAD_PORT);
        return;
      }
      // Helm 4 drops the plugin's stderr: not a word of the reason in its own...
      expect(r.stderr).toContain('plugin "inject-sidecar" exited with error');
      expect(r.stderr).not.toContain(BAD_PORT);
      // ...but a person at a terminal sees it,
      const tty = atTerminal(route, ['template', 'rel', shop, ...route.postRenderer(bad)]);
      expect(tty.status).not.toBe(0);
      expect(tty.screen).toContain(`inject-sidecar: error: ${BAD_PORT}`);
      // and CI reads it from INJECT_SIDECAR_LOG.
      const log = join(mkdtempSync(join(work, 'log-')), 'inject-sidecar.log');
      const logged = run(route.tool!.path, ['template', 'rel', shop, ...route.postRenderer(bad)], {
        env: { ...route.env, INJECT_SIDECAR_LOG: log },
      });
      expect(logged.status).not.toBe(0);
      expect(readFileSync(log, 'utf8')).toContain(`inject-sidecar: error: ${BAD_PORT}`);
    });
    it('--strict fails the render on a warning (a misspelt label selects nothing), with the warning as the reason', () => {
      const typo = configFile('typo', { 'app.kubernetes.io/name': 'shpo' });
      const passes = template(route, shop, route.postRenderer(typo));
      expect(passes.status, passes.stderr).toBe(0);
      const args = ['template', 'rel', shop, ...route.postRenderer(typo, '--strict')];
      const reason = /inject-sidecar: error: selects no workload: .*"app\.kubernetes\.io\/name=shpo"/;
      if (route.tool === helm3) {
        const r = run(helm3!.path, args, { env: route.env });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(reason);
        expect(r.stderr).toContain('1 warning fails the render: --strict makes every warning an error');
        return;
      }
      const tty = atTerminal(route, args);
      expect(tty.status).not.toBe(0);
      expect(tty.screen).toMatch(reason);
    });
    // Helm 3 shows a post-renderer's stderr only in its error; Helm 4's plugin writes to the terminal.
    if (route.tool === helm4)
      it('shows what the run did at the terminal on success', () => {
        const { dir, config } = charts.shop;
        const tty = atTerminal(route, ['template', 'rel', dir, ...route.postRenderer(config())]);
        expect(tty.status).toBe(0);
        expect(tty.screen).toContain(
          'inject-sidecar: injection "waf": sidecar in 1 workload, 1 Service rewired, 1 NetworkPolicy following it, 1 warning',
        );
      });
  });
}

describe.skipIf(!haveCorpus)("kustomize 5.8.1's helmCharts, Helm 3.17.2 on PATH", () => {
  const kustomize = kustomize5('sid');
  it.skipIf(!kustomize || !helm3)("renders podinfo's chart: its Service rewired, its test Pods untouched", () => {
    const dir = mkdtempSync(join(work, 'helmcharts-'));
    mkdirSync(join(dir, 'charts'));
    cpSync(podinfo, join(dir, 'charts/podinfo'), { recursive: true });
    const transformer = readFileSync(configFile('helmcharts', { 'app.kubernetes.io/name': 'rel-podinfo' }), 'utf8');
    writeFileSync(
      join(dir, 'waf.yaml'),
      transformer.replace(
        'metadata:\n  name: waf\n',
        `metadata:\n  name: waf\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ${fn}\n`,
      ),
    );
    const helmChart = { name: 'podinfo', releaseName: 'rel' };
    const kustomization = (withFunction: boolean) =>
      stringify({
        helmGlobals: { chartHome: 'charts' },
        helmCharts: [helmChart],
        ...(withFunction ? { transformers: ['waf.yaml'] } : {}),
      });
    const env = { PATH: `${dirname(helm3!.path)}:${process.env.PATH}`, ...helmEnv(helm3!) };
    const build = (withFunction: boolean) => {
      writeFileSync(join(dir, 'kustomization.yaml'), kustomization(withFunction));
      return run(kustomize!.path, ['build', '--enable-helm', '--enable-alpha-plugins', '--enable-exec', dir], { env });
    };
    const plain = build(false);
    expect(plain.status, plain.stderr).toBe(0);
    const r = build(true);
    expect(r.status, r.stderr).toBe(0);
    // kustomize passes the function's stderr on: the summary line is there.
    expect(r.stderr).toContain('injection "waf": sidecar in 1 workload, 1 Service rewired');
    const before = objectsOf(plain.stdout);
    const objs = objectsOf(r.stdout);
    expect(containersOf(find(objs, 'Deployment', 'rel-podinfo'))).toContain('waf');
    expect(find(objs, 'Service', 'rel-podinfo').spec.ports.find((p: Obj) => p.name === 'http').targetPort).toBe(8443);
    const tests = objs.filter(isHook);
    expect(tests.length).toBeGreaterThanOrEqual(3);
    for (const t of tests) expectUntouched(t, before);
  });
});
