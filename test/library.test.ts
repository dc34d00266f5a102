// The library, as a user gets it: `npm pack`, installed into an empty directory with nothing else
// (the one place the test suite packs and installs), run through npm's bin link and npx,
// imported from ESM and from CommonJS, type-checked by the TypeScript compiler, and the
// kpt-functions adapter run through the real SDK (0.16.1). Each route is compared with what the
// command line writes for the shop example.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helm } from './fetched.js';
import { expectShop, fn, objectsOf, repo, run, versionLine } from './tools.js';

const manifests = readFileSync(join(repo, 'examples/kustomize/manifests.yaml'), 'utf8');
const config = parse(readFileSync(join(repo, 'examples/kustomize/waf.yaml'), 'utf8'));
delete config.metadata.annotations;
type Obj = Record<string, any>;
const byId = (objects: Obj[]) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
/** The command line's output for the shop example: what every route must give. */
let cli: Obj[];
let app: string;

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  writeFileSync(join(tmpdir(), 'inject-sidecar-lib-waf.yaml'), JSON.stringify(config));
  const r = run(fn, [join(tmpdir(), 'inject-sidecar-lib-waf.yaml')], { input: manifests });
  expect(r.status, r.stderr).toBe(0);
  cli = objectsOf(r.stdout);
  // An empty project with the packed package installed, and the SDK for the adapter, from npm's
  // cache where npm ci put it there, else from the registry (npm ci caches tarballs, not the
  // version index an install by version reads).
  const packs = mkdtempSync(join(tmpdir(), 'inject-sidecar-pack-'));
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', packs], repo));
  app = mkdtempSync(join(tmpdir(), 'inject-sidecar-app-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packs, packed.filename), 'kpt-functions@0.16.1'],
    app,
  );
  writeFileSync(join(app, 'manifests.yaml'), manifests);
  writeFileSync(join(app, 'manifests.json'), JSON.stringify(objectsOf(manifests)));
  writeFileSync(join(app, 'config.json'), JSON.stringify(config));
}, 180_000);

function node(script: string, ext = 'mjs'): Obj {
  const file = join(app, `script.${ext}`);
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the packed library in an empty project', () => {
  it('ships the executable with its code cache, the Helm 4 plugin, the library entry points, their types, the schema, README and license, nothing else', () => {
    const [{ files }] = JSON.parse(npm(['pack', '--dry-run', '--json'], repo));
    expect(files.map((f: Obj) => f.path).sort()).toEqual(
      [
        'LICENSE',
        'README.md',
        'package.json',
        'dist/inject-sidecar',
        `dist/inject-sidecar.${process.version}-${process.arch}.cache`,
        'dist/package.json',
        'dist/index.mjs',
        'dist/index.cjs',
        'dist/index.d.mts',
        'dist/index.d.cts',
        'dist/sidecar-injection.d.mts',
        'dist/sidecar-injection.d.cts',
        'dist/kpt-functions.mjs',
        'dist/kpt-functions.cjs',
        'dist/kpt-functions.d.mts',
        'dist/kpt-functions.d.cts',
        'dist/helm-plugin/plugin.yaml',
        'dist/helm-plugin/inject-sidecar',
        `dist/helm-plugin/inject-sidecar.${process.version}-${process.arch}.cache`,
        'schema/sidecarinjection.schema.json',
      ].sort(),
    );
    expect(JSON.parse(readFileSync(join(app, 'node_modules/inject-sidecar/package.json'), 'utf8')).dependencies).toBe(
      undefined,
    );
  });

  it("the installed command runs through npm's bin link, with the code cache the package ships", () => {
    const r = spawnSync(join(app, 'node_modules/.bin/inject-sidecar'), ['--version'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, INJECT_SIDECAR_DEBUG: '1' },
    });
    expect(r.stdout).toBe(versionLine());
    expect(r.stderr).toMatch(/code cache .*node_modules\/inject-sidecar\/dist\/inject-sidecar\..*\.cache: accepted/);
  });

  const helm4 = helm(4);
  it.skipIf(!helm4)("Helm 4 installs the package's plugin and renders a chart through it", () => {
    const home = mkdtempSync(join(tmpdir(), 'inject-sidecar-lib-helm-'));
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), HELM_PLUGINS: join(home, 'data/helm/plugins') };
    const plugin = join(app, 'node_modules/inject-sidecar/dist/helm-plugin');
    const installed = run(helm4!.path, ['plugin', 'install', plugin], { env });
    expect(installed.status, installed.stderr).toBe(0);
    writeFileSync(
      join(app, 'shop-waf.yaml'),
      JSON.stringify({
        ...config,
        spec: { ...config.spec, selector: { matchLabels: { 'app.kubernetes.io/name': 'shop' } } },
      }),
    );
    const args = ['--post-renderer', 'inject-sidecar', '--post-renderer-args', join(app, 'shop-waf.yaml')];
    const r = run(helm4!.path, ['template', 'rel', join(repo, 'test/charts/shop'), ...args], { env });
    expect(r.status, r.stderr).toBe(0);
    const service = objectsOf(r.stdout).find((o) => o.kind === 'Service');
    expect(service?.spec.ports[0].targetPort).toBe(8443);
  });

  it('npx runs the installed command: --help, and a ResourceList as kpt sends it', () => {
    const help = spawnSync('npx', ['--no-install', 'inject-sidecar', '--help'], { cwd: app, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^inject-sidecar \d/);
    const list = readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/resource-list.yaml'), 'utf8');
    const out = spawnSync('npx', ['--no-install', 'inject-sidecar'], { cwd: app, input: list, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toBe(readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/output.yaml'), 'utf8'));
  });

  it('injectSidecar on plain objects, from ESM, gives the command line objects', () => {
    const out = node(`
import { readFileSync } from 'node:fs';
import { injectSidecar } from 'inject-sidecar';
const objects = JSON.parse(readFileSync('manifests.json', 'utf8'));
const input = structuredClone(objects);
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const result = injectSidecar(objects, config);
console.log(JSON.stringify({ ...result, untouched: JSON.stringify(input) === JSON.stringify(objects) }));
`);
    expect(out.objects).toEqual(cli);
    expect(out.untouched).toBe(true);
    expect(out.results.some((r: Obj) => r.severity === 'info' && /sidecar "wallarm"/.test(r.message))).toBe(true);
  });

  it('injectSidecarYaml keeps the text as the command line does, from CommonJS', () => {
    const out = node(
      `
const { readFileSync } = require('node:fs');
const { injectSidecarYaml } = require('inject-sidecar');
const { yaml } = injectSidecarYaml(readFileSync('manifests.yaml', 'utf8'), readFileSync('config.json', 'utf8'));
console.log(JSON.stringify({ yaml }));
`,
      'cjs',
    );
    const r = run(fn, [join(tmpdir(), 'inject-sidecar-lib-waf.yaml')], { input: manifests });
    expect(out.yaml).toBe(r.stdout);
    expectShop(out.yaml, 'wallarm');
  });

  it('a bad config throws InjectSidecarError with every result, naming the field', () => {
    const out = node(`
import { injectSidecar, InjectSidecarError } from 'inject-sidecar';
try {
  injectSidecar([], { apiVersion: 'inject-sidecar.dev/v1alpha1', kind: 'SidecarInjection', spec: { selector: {}, kinds: ['Knative'], container: { name: 'waf', image: 'w' } } });
  console.log(JSON.stringify({ threw: false }));
} catch (e) {
  console.log(JSON.stringify({ threw: e instanceof InjectSidecarError, name: e.name, results: e.results }));
}
`);
    expect(out.threw).toBe(true);
    expect(out.name).toBe('InjectSidecarError');
    expect(out.results[0]).toMatchObject({ severity: 'error', field: { path: 'spec.kinds[0]' } });
  });

  it('type-checks a TypeScript caller against the shipped types, and rejects a wrong config', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, types: [] },
        files: ['caller.ts'],
      }),
    );
    writeFileSync(
      join(app, 'caller.ts'),
      `import { injectSidecar, type SidecarInjection, type KubernetesObject } from 'inject-sidecar';
import { injectSidecarKptFunc } from 'inject-sidecar/kpt-functions';
import type { KptFunc } from 'kpt-functions';
const config: SidecarInjection = {
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf' },
  spec: { selector: { matchLabels: { waf: 'enabled' } }, kinds: ['Deployment', 'Job'], native: true, container: { name: 'waf', image: 'w' }, ports: [{ listenPort: 8443 }] },
};
const out: KubernetesObject[] = injectSidecar([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }], config).objects;
const fn: KptFunc = injectSidecarKptFunc;
// @ts-expect-error: not a kind spec.kinds allows
const wrong: SidecarInjection = { ...config, spec: { ...config.spec, kinds: ['Knative'] } };
// @ts-expect-error: a misspelt field in a config passed straight to the call
injectSidecar([], { ...config, spec: { ...config.spec, nativ: true } });
export { out, fn, wrong };
`,
    );
    const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', app], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('the kpt-functions adapter runs through the real SDK and gives the command line objects', () => {
    const out = node(`
import { readFileSync } from 'node:fs';
import { Configs } from 'kpt-functions';
import { injectSidecarKptFunc } from 'inject-sidecar/kpt-functions';
const objects = JSON.parse(readFileSync('manifests.json', 'utf8'));
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const configs = new Configs(objects, config);
await injectSidecarKptFunc(configs);
const bad = new Configs(objects, { ...config, spec: { ...config.spec, ports: [{ listenPort: 70000 }] } });
await injectSidecarKptFunc(bad);
// The SDK sends console.log to stderr (stdout is a function's ResourceList): write directly.
process.stdout.write(JSON.stringify({
  objects: configs.getAll(), results: configs.getResults(), usage: injectSidecarKptFunc.usage,
  bad: { objects: bad.getAll(), results: bad.getResults() }, input: new Configs(objects).getAll(),
}));
`);
    // The SDK keeps objects sorted by kind and name; the objects themselves are the command line's.
    expect(byId(out.objects)).toEqual(byId(cli));
    expect(out.results.some((r: Obj) => r.severity === 'info')).toBe(true);
    expect(out.results.every((r: Obj) => ['info', 'warn', 'error'].includes(r.severity))).toBe(true);
    expect(out.usage).toMatch(/SidecarInjection/);
    // A bad config: an error result naming the field, the objects as they were.
    expect(out.bad.results).toEqual([
      expect.objectContaining({ severity: 'error', field: { path: 'spec.ports[0].listenPort' } }),
    ]);
    expect(out.bad.objects).toEqual(out.input);
  });
});

describe('the library without the SDK', () => {
  it('imports without kpt-functions installed; the adapter alone needs it', () => {
    const bare = mkdtempSync(join(tmpdir(), 'inject-sidecar-bare-'));
    mkdirSync(join(bare, 'node_modules'));
    execFileSync('cp', ['-r', join(app, 'node_modules/inject-sidecar'), join(bare, 'node_modules/')]);
    writeFileSync(
      join(bare, 'a.mjs'),
      "import { injectSidecar } from 'inject-sidecar'; console.log(typeof injectSidecar);",
    );
    expect(spawnSync(process.execPath, ['a.mjs'], { cwd: bare, encoding: 'utf8' }).stdout.trim()).toBe('function');
    writeFileSync(join(bare, 'b.mjs'), "import 'inject-sidecar/kpt-functions';");
    expect(spawnSync(process.execPath, ['b.mjs'], { cwd: bare, encoding: 'utf8' }).stderr).toMatch(
      /Cannot find package 'kpt-functions'/,
    );
  });
});
