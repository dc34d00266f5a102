// Builds dist/inject-sidecar-linux-x64: a Node single executable application that embeds its own
// runtime, for images without Node (Argo CD's repo-server). Needs dist/inject-sidecar and its code
// cache (npm run build) and the `postject` dev dependency.
//
// The program and the code cache are SEA assets, read by scripts/sea-main.cjs; the executable is a
// copy of this Node, which made the cache, so V8 accepts it (bench/README.md has what that buys,
// and why not the SEA's own useSnapshot: that one fails outright under NODE_OPTIONS V8 flags).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cacheFileOf, programOf } from './code-cache.mjs';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`build:sea builds the linux-x64 binary; this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
const out = 'dist/inject-sidecar-linux-x64';
writeFileSync('dist/sea-program.js', programOf(readFileSync('dist/inject-sidecar', 'latin1')));
copyFileSync(new URL('sea-main.cjs', import.meta.url), 'dist/sea-main.cjs');
writeFileSync(
  'dist/sea-config.json',
  JSON.stringify({
    main: 'dist/sea-main.cjs',
    output: 'dist/sea-prep.blob',
    disableExperimentalSEAWarning: true,
    assets: { 'program.js': 'dist/sea-program.js', 'program.cache': cacheFileOf('dist/inject-sidecar') },
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', 'dist/sea-config.json'], { stdio: 'inherit' });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
execFileSync(
  process.execPath,
  [
    'node_modules/postject/dist/cli.js',
    out,
    'NODE_SEA_BLOB',
    'dist/sea-prep.blob',
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
// The same check as the build's: V8 accepts the embedded cache in a fresh process.
const env = { ...process.env, INJECT_SIDECAR_DEBUG: '1' };
delete env.NODE_OPTIONS;
const check = spawnSync(out, ['--version'], { env, encoding: 'utf8' });
if (check.status !== 0 || !check.stderr.includes(': accepted'))
  throw new Error(`${out} does not run with its code cache: ${check.stderr}`);
console.log(`built ${out}`);
