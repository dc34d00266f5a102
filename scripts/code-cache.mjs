// V8's code cache, made by the Node that will run it: this Node for dist/inject-sidecar, beside it
// (npm run build; scripts/loader.js reads it), the function image's own Node (the Dockerfile), and
// each single executable itself (scripts/build-sea.mjs): from Node 22 a single executable's Node
// refuses a cache that a plain `node` of the same version made.
//
// A cache holds the functions compiled before it is written, so it is trained: each run below
// loads the cache the previous run wrote and writes a fuller one, until every entry path (a
// ResourceList, an empty one, plain mode, the audit, a config error, --help) has been compiled.
// V8 checks a cache against its own version, the source's length and the V8 flags; the build
// then proves, in a fresh process started as kustomize and kpt start it, that V8 accepts it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = `apiVersion: inject-sidecar.dev/v1alpha1
kind: SidecarInjection
metadata: {name: waf}
spec:
  selector: {matchLabels: {waf: enabled}}
  container: {name: waf, image: wallarm/node:4.10, resources: {requests: {cpu: 100m, memory: 256Mi}}}
  ports: [{listenPort: 8443, name: waf-http}]
  networkPolicies: follow
`;
const manifests = `# a shop
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, labels: {app: shop, waf: enabled}}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: shop # the app
        image: ghcr.io/example/shop:1.0
        ports: [{name: http, containerPort: 8080}]
        resources: {requests: {cpu: 100m}}
---
apiVersion: v1
kind: Service
metadata: {name: shop}
spec:
  selector: {app: shop}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: shop}
spec:
  podSelector: {matchLabels: {app: shop}}
  ingress: [{ports: [{port: 8080}]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
`;
const indent = (text) => text.trimEnd().replace(/\n/g, '\n  ');
const items = (docs) => docs.split('---\n').map((d) => `- ${indent(d)}\n`);
const resourceList = (docs, fc) =>
  `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${items(docs).join('')}functionConfig:\n  ${indent(fc)}\n`;
const emptyList = (fc) =>
  `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  ${indent(fc)}\n`;

/** The training runs: arguments, stdin and the exit code each must end with. */
function trainingRuns(dir) {
  const configFile = join(dir, 'waf.yaml');
  writeFileSync(configFile, config);
  return [
    { args: [], input: resourceList(manifests, config), status: 0 },
    { args: [], input: emptyList(config), status: 0 },
    { args: [configFile], input: manifests, status: 0 },
    { args: ['--audit', configFile], input: manifests, status: 1 },
    { args: [], input: emptyList(config.replace('listenPort: 8443', 'listenPort: http')), status: 1 },
    { args: ['--help'], input: '', status: 0 },
  ];
}

/** The environment of a plain `node` start: no V8 flags from NODE_OPTIONS in the cache's check. */
function plainEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** The program in dist/inject-sidecar, as scripts/loader.js reads it: the line comments after its mark. */
export function programOf(text) {
  const mark = '\n//#program\n';
  return text.slice(text.indexOf(mark) + mark.length).replace(/^\/\//gm, '');
}

/** The cache file the loader reads beside `executable` under one Node (its version, `v26.12.1`) and arch. */
export function cacheFileOf(executable, version = process.version, arch = process.arch) {
  return `${executable}.${version}-${arch}.cache`;
}

/**
 * Trains a code cache into `cache` by running `command` (the program and its arguments before the
 * run's own) through every training run. Each run reads the cache the previous one wrote (the
 * loader from beside the executable, which is `cache`; the single executable from
 * INJECT_SIDECAR_READ_CODE_CACHE) and writes a fuller one (INJECT_SIDECAR_WRITE_CODE_CACHE).
 * `command` is the Node that will run the cache: this one, another version's, the arm64 one under
 * qemu-aarch64-static, or a single executable, which embeds its own.
 */
export function trainCodeCache(command, cache) {
  const [program, ...prefix] = command;
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-cache-'));
  const next = join(dir, 'next.cache');
  try {
    rmSync(cache, { force: true });
    for (const run of trainingRuns(dir)) {
      const r = spawnSync(program, [...prefix, ...run.args], {
        input: run.input,
        env: plainEnv({
          INJECT_SIDECAR_WRITE_CODE_CACHE: next,
          ...(existsSync(cache) ? { INJECT_SIDECAR_READ_CODE_CACHE: cache } : {}),
        }),
      });
      if (r.status !== run.status)
        throw new Error(
          `code cache training: ${run.args.join(' ') || 'a ResourceList'} exited ${r.status}: ${r.stderr}`,
        );
      renameSync(next, cache);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** V8 accepts the cache in a fresh process started as kustomize and kpt start one: `command --version`. */
export function checkCodeCache(command) {
  const [program, ...prefix] = command;
  const check = spawnSync(program, [...prefix, '--version'], {
    env: plainEnv({ INJECT_SIDECAR_DEBUG: '1' }),
    encoding: 'utf8',
  });
  if (check.status !== 0 || !check.stderr.includes(': accepted'))
    throw new Error(`${command.join(' ')} does not run with its code cache: ${check.stderr}`);
}

// `node scripts/code-cache.mjs FILE`: the container image trains the cache with its own Node.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const executable = process.argv[2];
  if (!executable) throw new Error('usage: node code-cache.mjs dist/inject-sidecar');
  trainCodeCache([process.execPath, executable], cacheFileOf(executable));
  checkCodeCache([process.execPath, executable]);
}
