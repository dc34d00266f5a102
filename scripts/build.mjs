// Builds dist/inject-sidecar: one self-contained CommonJS file with a node shebang, so it runs
// with no node_modules beside it (kustomize, kpt and the container image all run this file).

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/inject-sidecar',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
// The package is ESM; this tells Node the bundle beside it is CommonJS.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
chmodSync('dist/inject-sidecar', 0o755);
