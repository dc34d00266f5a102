// V8's code cache for dist/inject-sidecar (scripts/loader.js reads it): made by this very Node
// (process.execPath), so it matches the Node that builds and tests the package, the container
// image's build and the single executable, which embeds this Node.
//
// A cache holds the functions compiled before it is written, so it is trained: each run below
// loads the cache the previous run wrote and writes a fuller one, until every entry path (a
// ResourceList, an empty one, plain mode, the audit, a config error, --help) has been compiled.
// V8 checks a cache against its own version, the source's length and the V8 flags; the build
// then proves, in a fresh process started as kustomize and kpt start it, that V8 accepts it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

export function cacheFileOf(executable, arch = process.arch) {
  return `${executable}.${process.version}-${arch}.cache`;
}

/**
 * Trains the cache with `node`: this Node, or another build of the same version run through a
 * command prefix (the arm64 Node under qemu-aarch64-static, scripts/build-sea.mjs), whose arch it
 * names.
 */
export function trainCodeCache(executable, { node = [process.execPath], arch = process.arch } = {}) {
  const cache = cacheFileOf(executable, arch);
  const [command, ...prefix] = node;
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-cache-'));
  const next = join(dir, 'next.cache');
  try {
    rmSync(cache, { force: true });
    for (const run of trainingRuns(dir)) {
      const r = spawnSync(command, [...prefix, executable, ...run.args], {
        input: run.input,
        env: plainEnv({ INJECT_SIDECAR_WRITE_CODE_CACHE: next }),
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
  const check = spawnSync(command, [...prefix, executable, '--version'], {
    env: plainEnv({ INJECT_SIDECAR_DEBUG: '1' }),
  });
  if (!String(check.stderr).includes(': accepted'))
    throw new Error(`V8 does not accept the code cache it just made: ${check.stderr}`);
}

// `node scripts/code-cache.mjs FILE`: the container image trains the cache with its own Node.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv[2]) throw new Error('usage: node code-cache.mjs dist/inject-sidecar');
  trainCodeCache(process.argv[2]);
}
