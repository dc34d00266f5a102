// Two YAML 1.1 readers independent of this project, for reading our output as the tools that
// consume it do: PyYAML (Debian's python3-yaml, installed by .ci/run) for any text, and kubectl's
// own Go decoder (sigs.k8s.io/yaml, what `kubectl apply` sends to the API server) for streams of
// Kubernetes objects. Each is compared with the YAML 1.2 reading this function uses.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { inCI, tool } from './tools.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Dates become tagged strings and non-finite floats named ones, so that JSON carries every reading.
const PYTHON_READER = `
import datetime, json, math, sys, yaml
def plain(v):
    if isinstance(v, (datetime.date, datetime.datetime)): return {"$timestamp": v.isoformat()}
    if isinstance(v, float) and not math.isfinite(v): return {"$float": repr(v)}
    if isinstance(v, dict): return {str(k) if isinstance(k, str) else "$key:" + json.dumps(plain(k)): plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    return v
def read(text):
    try: return [plain(d) for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e: return {"$error": str(e)}
out = [read(text) for text in json.load(sys.stdin)]
json.dump(out, sys.stdout)
`;

let python: string | undefined | null = null;

/** A python3 that has PyYAML; undefined (the test skips) when none has, except under CI=true. */
export function pythonWithYaml(): string | undefined {
  if (python !== null) return python;
  python = ['/usr/bin/python3', 'python3'].find(
    (p) => (p.startsWith('/') ? existsSync(p) : true) && spawnSync(p, ['-c', 'import yaml']).status === 0,
  );
  if (!python && inCI) throw new Error('python3 with PyYAML (python3-yaml) is required under CI=true');
  if (!python) console.warn('skipping: no python3 with PyYAML');
  return python;
}

/** Each text's documents as PyYAML (YAML 1.1) reads them, or `{$error}`; one process for all texts. */
export function readWithPyYaml(texts: readonly string[]): (Json[] | { $error: string })[] {
  const py = pythonWithYaml();
  if (!py) throw new Error('no python3 with PyYAML');
  const r = spawnSync(py, ['-c', PYTHON_READER], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`PyYAML could not read the text: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * A stream of Kubernetes objects as kubectl decodes it (Go, YAML 1.1), without a cluster:
 * `kubectl label --local` removing a label nobody has, printed as JSON. The only trace it leaves,
 * an empty `metadata.labels` where there was none, is taken out again.
 */
export function readWithKubectl(text: string): Json[] {
  const kubectl = tool('kubectl');
  if (!kubectl) throw new Error('no kubectl');
  const r = spawnSync(kubectl, ['label', '--local', '-f', '-', 'inject-sidecar.invalid/probe-', '-o', 'json'], {
    input: text,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`kubectl could not read the text: ${r.stderr}`);
  // One pretty-printed JSON object per document, each starting at column 0.
  if (r.stdout.trim() === '') return [];
  const objects = JSON.parse(`[${r.stdout.trim().replace(/^}\n{/gm, '},{')}]`) as { [key: string]: Json }[];
  const read12 = readWith12(text) as { metadata?: { labels?: unknown } }[];
  return objects.map((o, i) => {
    const metadata = o.metadata as { [key: string]: Json } | undefined;
    const labels = metadata?.labels;
    if (metadata && labels && Object.keys(labels).length === 0 && read12[i]?.metadata?.labels === undefined)
      delete metadata.labels;
    return o;
  });
}

/** The documents as this function reads them (YAML 1.2, core schema), as JSON. */
export function readWith12(text: string): Json[] {
  return parseAllDocuments(text)
    .map((d) => JSON.parse(JSON.stringify(d.toJS({ maxAliasCount: -1 }) ?? null)) as Json)
    .filter((d) => d !== null);
}

/** Where two readings of the same text disagree: `path: 1.2 value / 1.1 value`, one line each. */
export function disagreements(read12: Json, read11: Json, path = ''): string[] {
  if (read12 === read11) return [];
  const bothMaps =
    typeof read12 === 'object' && typeof read11 === 'object' && read12 && read11 && !Array.isArray(read12);
  if (bothMaps && !Array.isArray(read11)) {
    const keys = new Set([...Object.keys(read12), ...Object.keys(read11)]);
    return [...keys].flatMap((k) =>
      disagreements(
        (read12 as Record<string, Json>)[k] ?? null,
        (read11 as Record<string, Json>)[k] ?? null,
        `${path}.${k}`,
      ),
    );
  }
  if (Array.isArray(read12) && Array.isArray(read11) && read12.length === read11.length)
    return read12.flatMap((v, i) => disagreements(v, read11[i]!, `${path}[${i}]`));
  return [`${path || '.'}: ${JSON.stringify(read12)} / ${JSON.stringify(read11)}`];
}
