// inject-sidecar VERSION. The program is the comment after this loader, one line comment per line.
// The loader compiles it with V8's code cache when `npm run build` left one for this Node beside
// the file, and compiles it plainly when there is none or V8 refuses it (another Node build, other
// V8 flags): the output is the same, only start-up is slower. Nothing is ever written unless
// INJECT_SIDECAR_WRITE_CODE_CACHE names a file (the build's training runs). It uses neither module
// system, so it runs as CommonJS or as an ES module wherever it is copied.
const fs = process.getBuiltinModule('node:fs');
const vm = process.getBuiltinModule('node:vm');
const file = fs.realpathSync(process.argv[1]);
const text = fs.readFileSync(file, 'latin1'); // the build keeps the file ASCII
const mark = '\n//#' + 'program\n'; // split, so this line is not the mark
const at = text.indexOf(mark) + mark.length;
const cacheFile = `${file}.${process.version}-${process.arch}.cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(text.slice(at).replace(/^\/\//gm, ''), {
  filename: file,
  lineOffset: text.slice(0, at).split('\n').length - 1,
  cachedData,
});
if (process.env.INJECT_SIDECAR_DEBUG) {
  const used = cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'absent';
  fs.writeSync(2, `inject-sidecar: code cache ${cacheFile}: ${used}\n`);
}
const cacheOut = process.env.INJECT_SIDECAR_WRITE_CODE_CACHE;
if (cacheOut) process.once('exit', () => fs.writeFileSync(cacheOut, script.createCachedData()));
script.runInThisContext();
//#program
