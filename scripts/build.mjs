// Builds dist/inject-sidecar: one self-contained file with a node shebang, so it runs with no
// node_modules beside it (kustomize, kpt and the container image all run this file).
//
// It runs wherever it is copied: Node reads an extensionless file as CommonJS or as an ES module
// depending on the nearest package.json ("type": "module" makes it ESM, where `require` does not
// exist). So the file uses neither module system: it is bundled as CommonJS, and each Node
// built-in it needs comes from process.getBuiltinModule (Node 20.16+), not from `require`. A
// test copies it alone, into an ESM package and into a CommonJS package.

import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

const builtins = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
/** `require('fs')` becomes `process.getBuiltinModule('node:fs')`: no free `require` is left. */
const builtinsWithoutRequire = {
  name: 'builtins-without-require',
  setup(b) {
    b.onResolve({ filter: builtins }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

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
  plugins: [builtinsWithoutRequire],
  logLevel: 'warning',
});
const bundle = readFileSync('dist/inject-sidecar', 'utf8');
const moduleSyntax = /\brequire\(|\bimport\.meta\b|\bmodule\.exports\b|\b__dirname\b|\b__filename\b/.exec(bundle);
if (moduleSyntax) throw new Error(`dist/inject-sidecar relies on one module system: ${moduleSyntax[0]}`);
// No package.json beside it: the file does not need one.
rmSync('dist/package.json', { force: true });
chmodSync('dist/inject-sidecar', 0o755);
