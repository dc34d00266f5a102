// The library: the same function as the command line, called from TypeScript or JavaScript.
//
//   import { injectSidecar } from 'inject-sidecar';
//   const { objects, results } = injectSidecar(manifests, config);
//
// injectSidecar works on plain objects; injectSidecarYaml on YAML text, with the command line's
// fidelity (comments, key order, quoting kept; untouched documents byte for byte). Both run the
// whole function, so the results, the rules and the errors are the command line's. A run with an
// error result throws an InjectSidecarError carrying every result; nothing is half-done.
import { parseAllDocuments, stringify } from 'yaml';
import type { SidecarInjection } from './config/sidecar-injection.js';
import { runReport, runStream } from './run.js';

export type { SidecarInjection };

/**
 * What the function takes: anything shaped like a Kubernetes object (kubernetes-types,
 * @kubernetes/client-node and kpt-functions objects all are). It checks each at run time.
 */
export interface KubernetesObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: object;
}

/** What it returns: a Kubernetes object as plain data. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** The ConfigMap form of the config (what `kpt fn eval -- key=value` sends): flat string values. */
export interface SidecarInjectionConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata?: { name?: string };
  data: Record<string, string>;
}

/**
 * One result, as in a KRM ResourceList (severity `error`, `warning` or `info`). Written out rather
 * than re-exported: the shipped declarations name no internal module (test/results.test.ts checks
 * it stays the shape results.ts builds).
 */
export interface Result {
  severity: 'error' | 'warning' | 'info';
  message: string;
  resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  field?: { path: string };
  file?: { path: string; index?: number };
}

export interface InjectionOutput {
  /** Every input object, in order, with the sidecar injected and Services rewired; added ones last. */
  objects: KubernetesObject[];
  results: Result[];
}

export interface YamlInjectionOutput {
  /** The YAML stream, changed only where the function changed something. */
  yaml: string;
  results: Result[];
}

/** A run that found errors: every result, the errors among them. Nothing was changed. */
export class InjectSidecarError extends Error {
  readonly results: Result[];
  constructor(results: Result[]) {
    const errors = results.filter((r) => r.severity === 'error');
    super(errors.map((r) => r.message).join('; ') || 'inject-sidecar failed');
    this.name = 'InjectSidecarError';
    this.results = results;
  }
}

type Config = SidecarInjection | SidecarInjectionConfigMap;

/** The config as YAML text (JSON is YAML too); it is validated as the command line validates it. */
const configText = (config: Config | string) => (typeof config === 'string' ? config : stringify(config));

/** Plain objects as one YAML stream, each its own document. */
const streamOf = (objects: readonly KubernetesObjectLike[]) =>
  objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n');

/** The function on a YAML stream (documents separated by `---`); the config as an object or YAML text. */
export function injectSidecarYaml(input: string, config: Config | string): YamlInjectionOutput {
  const out = runStream(configText(config), 'config', input);
  const results: Result[] = out.results;
  if (out.exitCode !== 0) throw new InjectSidecarError(results);
  return { yaml: out.stdout, results };
}

/** The function on plain objects: a new array, the input left as it was; the config as for injectSidecarYaml. */
export function injectSidecar(objects: readonly KubernetesObjectLike[], config: Config | string): InjectionOutput {
  if (!Array.isArray(objects)) throw new TypeError('injectSidecar: objects is an array of Kubernetes objects');
  const { yaml, results } = injectSidecarYaml(streamOf(objects), config);
  const out = parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
  return { objects: out, results };
}

export interface ReportOutput {
  /** The report: Markdown with a Mermaid traffic map per namespace, for a pull-request comment. */
  markdown: string;
  /** The render's results. */
  results: Result[];
}

/**
 * The report of what the render gives, for pipelines that post the pull-request comment themselves;
 * the input as a YAML stream or plain objects, rendered or not; the config as for injectSidecarYaml.
 */
export function injectSidecarReport(
  input: string | readonly KubernetesObjectLike[],
  config: Config | string,
): ReportOutput {
  const out = runReport(configText(config), 'config', typeof input === 'string' ? input : streamOf(input));
  if (out.exitCode !== 0) throw new InjectSidecarError(out.results);
  return { markdown: out.stdout, results: out.results };
}
