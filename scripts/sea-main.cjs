// The single executable's main (scripts/build-sea.mjs): the program and its V8 code cache ride in
// the executable as assets, and the program is compiled with the cache exactly as
// dist/inject-sidecar's loader does. The cache was made by this very executable (the build trains
// it, then embeds it), so V8 accepts it; under other V8 flags (NODE_OPTIONS) it refuses it and
// compiles plainly, same output. Nothing is written unless INJECT_SIDECAR_WRITE_CODE_CACHE names a
// file: the build's training runs, which read the cache so far from INJECT_SIDECAR_READ_CODE_CACHE.
const { getAsset } = require('node:sea');
const vm = require('node:vm');
const fs = require('node:fs');
const training = process.env.INJECT_SIDECAR_WRITE_CODE_CACHE;
const from = training && process.env.INJECT_SIDECAR_READ_CODE_CACHE;
const cachedData = from ? fs.readFileSync(from) : Buffer.from(getAsset('program.cache'));
const script = new vm.Script(getAsset('program.js', 'utf8'), {
  filename: 'inject-sidecar',
  cachedData: cachedData.length > 0 ? cachedData : undefined,
});
if (process.env.INJECT_SIDECAR_DEBUG) {
  const used = cachedData.length === 0 ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  fs.writeSync(2, `inject-sidecar: code cache (embedded): ${used}\n`);
}
if (training) process.once('exit', () => fs.writeFileSync(training, script.createCachedData()));
script.runInThisContext();
