// The single executable's main (scripts/build-sea.mjs): the program and its V8 code cache ride in
// the executable as assets, and the program is compiled with the cache exactly as
// dist/inject-sidecar's loader does. The cache was made by the Node this executable embeds, so V8
// accepts it; under other V8 flags (NODE_OPTIONS) it refuses it and compiles plainly, same output.
const { getAsset } = require('node:sea');
const vm = require('node:vm');
const cachedData = Buffer.from(getAsset('program.cache'));
const script = new vm.Script(getAsset('program.js', 'utf8'), { filename: 'inject-sidecar', cachedData });
if (process.env.INJECT_SIDECAR_DEBUG) {
  const used = script.cachedDataRejected ? 'rejected' : 'accepted';
  require('node:fs').writeSync(2, `inject-sidecar: code cache (embedded): ${used}\n`);
}
script.runInThisContext();
