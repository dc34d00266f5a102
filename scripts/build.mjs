// Builds dist/inject-sidecar: one self-contained file with a node shebang, so it runs with no
// node_modules beside it (kustomize, kpt and the container image all run this file).
//
// It runs wherever it is copied: Node reads an extensionless file as CommonJS or as an ES module
// depending on the nearest package.json ("type": "module" makes it ESM, where `require` does not
// exist). So the file uses neither module system: it is bundled as CommonJS, and each Node
// built-in it needs comes from process.getBuiltinModule (Node 20.16+, 22.3+), not from `require`. A
// test copies it alone, into an ESM package and into a CommonJS package.

import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cacheFileOf, checkCodeCache, trainCodeCache } from './code-cache.mjs';

const builtins = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
/**
 * `import { readFileSync } from 'node:fs'` reads `readFileSync` from
 * `process.getBuiltinModule('node:fs')`: no free `require` is left. The built-in is an ES module
 * with one export per name, so esbuild keeps only the names used and no CommonJS interop copies
 * every property of the module at start-up.
 */
const builtinsWithoutRequire = {
  name: 'builtins-without-require',
  setup(b) {
    b.onResolve({ filter: builtins }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, async (args) => {
      const id = JSON.stringify(`node:${args.path}`);
      const names = Object.keys(await import(`node:${args.path}`)).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      // A pure call, so esbuild drops the names nobody imports.
      const exports = names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})();`).join('\n');
      return { contents: `const m = process.getBuiltinModule(${id});\nexport default m;\n${exports}\n`, loader: 'js' };
    });
  },
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
mkdirSync('dist', { recursive: true });
const cli = await build({
  entryPoints: ['src/main.ts'],
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node22',
  // A script, not a module: the loader compiles it with vm.Script.
  format: 'iife',
  minify: process.env.INJECT_SIDECAR_UNMINIFIED !== '1',
  legalComments: 'none',
  charset: 'ascii',
  // yaml's ES module build (the same code as its CommonJS one) lets esbuild drop what is unused.
  alias: { yaml: fileURLToPath(new URL('../node_modules/yaml/browser/index.js', import.meta.url)) },
  define: { VERSION: JSON.stringify(version) },
  plugins: [builtinsWithoutRequire],
  logLevel: 'warning',
});
const bundle = cli.outputFiles[0].text.replace(/\n$/, '');
const moduleSyntax = /\brequire\(|\bimport\.meta\b|\bmodule\.exports\b|\b__dirname\b|\b__filename\b/.exec(bundle);
if (moduleSyntax) throw new Error(`dist/inject-sidecar relies on one module system: ${moduleSyntax[0]}`);
// The program rides in line comments after the loader, so the file stays one file that runs where
// it is copied; each line must stay one line of the comment.
const bad = /[\u0080-\uffff]|\r/.exec(bundle); // only a line break ends a line comment; the file is read as latin1
if (bad)
  throw new Error(
    `a line comment cannot carry ${JSON.stringify(bad[0])} in the bundle: ${bundle.slice(bad.index - 40, bad.index + 5)}`,
  );
const loader = readFileSync(new URL('loader.js', import.meta.url), 'utf8').replace('VERSION', version);
writeFileSync('dist/inject-sidecar', `#!/usr/bin/env node\n${loader}${bundle.replace(/^/gm, '//')}\n`);
chmodSync('dist/inject-sidecar', 0o755);
// A package.json beside it says CommonJS: under the package's "type": "module", Node would start
// its ES module loader for an extensionless file, which costs more than the run (see bench/README.md).
// The file does not need it: copied elsewhere it runs either way.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
trainCodeCache([process.execPath, 'dist/inject-sidecar'], cacheFileOf('dist/inject-sidecar'));
checkCodeCache([process.execPath, 'dist/inject-sidecar']);

// The Helm 4 post-renderer plugin (docs/routes.md): Helm 4 takes only a plugin as a post-renderer,
// `helm plugin install dist/helm-plugin`. Self-contained: the executable and its code cache, copied.
// Helm reads and drops a plugin's stderr, so the plugin's command asks for the messages on the terminal too.
rmSync('dist/helm-plugin', { recursive: true, force: true });
mkdirSync('dist/helm-plugin');
for (const f of readdirSync('dist').filter((f) => f === 'inject-sidecar' || /^inject-sidecar\..*\.cache$/.test(f)))
  copyFileSync(`dist/${f}`, `dist/helm-plugin/${f}`);
writeFileSync(
  'dist/helm-plugin/plugin.yaml',
  `# A Helm 4 post-renderer plugin: helm plugin install dist/helm-plugin, then
#   helm template|install|upgrade ... --post-renderer inject-sidecar --post-renderer-args CONFIG
apiVersion: v1
type: postrenderer/v1
name: inject-sidecar
version: "${version}"
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: \${HELM_PLUGIN_DIR}/inject-sidecar
      args: ["--messages-to-tty"]
`,
);

// The library (README: Library): ESM and CommonJS, with yaml and zod inside, nothing required at
// run time. The kpt-functions adapter imports the library's own file and the SDK, both left out.
const lib = { bundle: true, platform: 'node', target: 'node22', legalComments: 'none', logLevel: 'warning' };
const siblingLibrary = (ext) => ({
  name: 'sibling-library',
  setup(b) {
    b.onResolve({ filter: /^\.\/lib\.js$/ }, () => ({ path: `./index.${ext}`, external: true }));
  },
});
// The ES modules are .mjs: dist/package.json says CommonJS (for the executable), so a .js there would be read as CommonJS.
for (const [format, ext] of [
  ['esm', 'mjs'],
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
  if (unknown.length) throw new Error(`${to}.d.mts would import ${unknown.join(', ')}`);
  writeFileSync(`dist/${to}.d.mts`, text.replace(/'\.\/(index|sidecar-injection)\.js'/g, "'./$1.mjs'"));
  writeFileSync(`dist/${to}.d.cts`, text.replace(/'\.\/(index|sidecar-injection)\.js'/g, "'./$1.cjs'"));
}
