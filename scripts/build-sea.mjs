// Builds dist/inject-sidecar-linux-x64: a Node single executable application that embeds its own
// runtime, for images without Node (Argo CD's repo-server). Needs dist/inject-sidecar (npm run
// build) and the `postject` dev dependency.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`build:sea builds the linux-x64 binary; this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
const out = 'dist/inject-sidecar-linux-x64';
// The SEA main is a CommonJS script; the bundle already is one, less its shebang.
writeFileSync('dist/sea-main.cjs', readFileSync('dist/inject-sidecar', 'utf8').replace(/^#!.*\n/, ''));
writeFileSync(
  'dist/sea-config.json',
  JSON.stringify({ main: 'dist/sea-main.cjs', output: 'dist/sea-prep.blob', disableExperimentalSEAWarning: true }),
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
console.log(`built ${out}`);
