// Builds dist/inject-sidecar: one self-contained file with a node shebang, so it runs with no
// node_modules beside it (kustomize, kpt and the container image all run this file).
//
// It runs wherever it is copied: Node reads an extensionless file as CommonJS or as an ES module
// depending on the nearest package.json ("type": "module" makes it ESM, where `require` does not
// exist). So the file uses neither module system: it is bundled as CommonJS, and each Node
// built-in it needs comes from process.getBuiltinModule (Node 20.16+), not from `require`. A
// test copies it alone, into an ESM package and into a CommonJS package.

import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// The library (README: Library): ESM and CommonJS, with yaml and zod inside, nothing required at
// run time. The kpt-functions adapter imports the library's own file and the SDK, both left out.
const lib = { bundle: true, platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning' };
const siblingLibrary = (ext) => ({
  name: 'sibling-library',
  setup(b) {
    b.onResolve({ filter: /^\.\/lib\.js$/ }, () => ({ path: `./index.${ext}`, external: true }));
  },
});
for (const [format, ext] of [
  ['esm', 'js'],
  ['cjs', 'cjs'],
]) {
  // yaml's CommonJS build requires Node built-ins, which an ES module cannot: the same plugin.
  await build({
    ...lib,
    entryPoints: ['src/lib.ts'],
    outfile: `dist/index.${ext}`,
    format,
    plugins: [builtinsWithoutRequire],
  });
  await build({
    ...lib,
    entryPoints: ['src/kpt-functions.ts'],
    outfile: `dist/kpt-functions.${ext}`,
    format,
    external: ['kpt-functions'],
    plugins: [siblingLibrary(ext), builtinsWithoutRequire],
  });
}

// Their types, from the TypeScript compiler: the library's declarations name only the config type
// (src/config/sidecar-injection.ts, generated from the zod schema), never zod or the internals.
const ts = (await import('typescript')).default;
const declarations = new Map();
const program = ts.createProgram(['src/lib.ts', 'src/kpt-functions.ts'], {
  ...ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} })
    .options,
  noEmit: false,
  declaration: true,
  emitDeclarationOnly: true,
});
program.emit(undefined, (file, text) => declarations.set(file.slice(file.lastIndexOf('/src/') + 5), text));
const shipped = {
  'lib.d.ts': 'index',
  'kpt-functions.d.ts': 'kpt-functions',
  'config/sidecar-injection.d.ts': 'sidecar-injection',
};
for (const [from, to] of Object.entries(shipped)) {
  const text = declarations
    .get(from)
    .replace(/from '\.\/config\/sidecar-injection\.js'/g, "from './sidecar-injection.js'")
    .replace(/from '\.\/lib\.js'/g, "from './index.js'");
  const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  const unknown = imports.filter((i) => !['./sidecar-injection.js', './index.js', 'kpt-functions'].includes(i));
  if (unknown.length) throw new Error(`${to}.d.ts would import ${unknown.join(', ')}`);
  writeFileSync(`dist/${to}.d.ts`, text);
  writeFileSync(`dist/${to}.d.cts`, text.replace(/'\.\/(index|sidecar-injection)\.js'/g, "'./$1.cjs'"));
}
