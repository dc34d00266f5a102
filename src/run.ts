// The whole flow in one place: parse -> validate config -> read plain data -> plan -> apply ->
// print. Both entry points (ResourceList and plain stream) share everything but the edges. Every
// problem is a result; the exit code derives from them, and an error leaves nothing half-done.

import type { Document } from 'yaml';
import { applyPlan } from './apply/apply.js';
import { readFunctionConfig } from './config/read.js';
import type { InjectionConfig } from './config/schema.js';
import { type Item, type ItemFormat, newItem } from './io/item.js';
import { readResourceList, rejectedResourceList, writeResourceList } from './io/resource-list.js';
import { readStream, writeStream } from './io/stream.js';
import { decodeUtf8, toPlain } from './io/yaml.js';
import { type Inventory, isReadByPlan, takeStock } from './objects/inventory.js';
import { type InputMode, type ObjectSink, readObjects } from './objects/read.js';
import { auditFindings, auditPaths } from './plan/audit.js';
import { landed, mixedNamespaces } from './plan/namespaces.js';
import { planInjection } from './plan/plan.js';
import { selectsNothing } from './plan/selection.js';
import { markdownOf } from './report/markdown.js';
import { reportOf } from './report/report.js';
import {
  collect,
  count,
  exitCodeOf,
  formatResult,
  hasErrors,
  problem,
  type Result,
  ResultsError,
  result,
} from './results.js';

export interface RunOutput {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1;
  results: Result[];
}

/** What a failed run reports: its problems, never an `info` about an edit that was not written. */
const failed = (results: readonly Result[]): Result[] => results.filter((r) => r.severity !== 'info');

/** The results of a problem found on the way, or the problem itself when it is not one of ours. */
function resultsOf(error: unknown): Result[] {
  if (error instanceof ResultsError) return [...error.results];
  if (process.env.INJECT_SIDECAR_DEBUG) console.error(error);
  const message = `internal error: ${(error as Error)?.message ?? String(error)}; please report this with the input that caused it`;
  return [{ severity: 'error', message }];
}

const stderrOf = (results: readonly Result[]) =>
  results
    .filter((r) => r.severity !== 'info')
    .map((r) => `${formatResult(r)}\n`)
    .join('');

/** Reads each item's objects into the inventory as the edge hands the item over. */
export function objectReader(mode: InputMode) {
  const inventory: Inventory = {
    workloads: [],
    services: [],
    networkPolicies: [],
    autoscalers: [],
    routes: [],
    meshPolicies: [],
    canaries: [],
    monitors: [],
    foreignPolicies: [],
    namespaces: [],
    results: [],
  };
  const sink: ObjectSink = { count: 0, problems: inventory.results, take: (object) => takeStock(inventory, object) };
  const read = (item: Item, index: number, doc: Document) => readObjects(item, index, doc, mode, isReadByPlan, sink);
  return { inventory, read };
}

/** What the transformation needs of either edge: the items, and where added objects go. */
interface Edge {
  items: readonly Item[];
  added: Item[];
  newItemFormat: ItemFormat;
  /** What the edge could not read: then the objects are not the whole input. */
  problems: readonly Result[];
}

/** What a run came to: every result, and the one line that says what it did (stderr, on success). */
interface Outcome {
  results: Result[];
  summary?: string;
}

/** The transformation proper, on items and plain data from either edge. */
function transform(edge: Edge, read: Inventory, config: InjectionConfig | undefined): Outcome {
  let results = [...read.results];
  if (!config) return { results };
  // Objects without a namespace, where they will land (spec.defaultNamespace), or a warning.
  const inventory = landed(config, read);
  results = results.concat(mixedNamespaces(config, read));
  if (config.mode === 'audit') return audit(config, inventory, results, selectionOf(config, edge, inventory));
  const plan = planInjection(config, inventory);
  // concat, not push(...): a large input has more results than a call has room for arguments.
  results = results.concat(selectionOf(config, edge, inventory), plan.results);
  if (hasErrors(results)) return { results };
  results = results.concat(collect(results, () => applyPlan(plan, edge.items)) ?? []);
  for (const [i, object] of plan.added.entries())
    edge.added.push(newItem(object, edge.newItemFormat, `added object ${i + 1}`));
  const { workloads, services, networkPolicies } = plan.summary;
  const warnings = results.filter((r) => r.severity === 'warning').length;
  const steered =
    config.capture === 'redirect'
      ? ['app ports redirected inside the pod (Services and NetworkPolicies as written)']
      : [
          `${count(services, 'Service')} rewired`,
          `${count(networkPolicies, 'NetworkPolicy', 'NetworkPolicies')} following it`,
        ];
  const did = [`sidecar in ${count(workloads, 'workload')}`, ...steered, count(warnings, 'warning')];
  return { results, summary: `injection "${config.name}": ${did.join(', ')}` };
}

/** The audit changes nothing; with no path found it says so, so a clean run is not silent. */
function audit(config: InjectionConfig, inventory: Inventory, found: Result[], nothing: Result[]): Outcome {
  const paths = auditPaths(config, inventory);
  const results = found.concat(nothing, paths);
  if (paths.length || nothing.length) return { results };
  const clean = `audit: no path reaches a fronted app port without passing the sidecar "${config.container.name}"`;
  return { results: results.concat(result('info', clean)), summary: clean };
}

/** A config that selects nothing, said only of an input read whole: a broken one says why instead. */
const selectionOf = (config: InjectionConfig, edge: Edge, inventory: Inventory) =>
  hasErrors(edge.problems) || hasErrors(inventory.results) ? [] : selectsNothing(config, inventory.workloads);

/**
 * Strict (`--strict`, spec.strict): every warning is an error, so the render fails with the reasons
 * where a route shows nothing on success (Helm, Argo CD).
 */
function strictly(results: Result[], why: string | undefined): Result[] {
  const warnings = results.filter((r) => r.severity === 'warning').length;
  if (!why || warnings === 0) return results;
  const escalated = results.map((r): Result => (r.severity === 'warning' ? { ...r, severity: 'error' } : r));
  const fail = warnings === 1 ? 'fails' : 'fail';
  return escalated.concat(
    result('error', `${count(warnings, 'warning')} ${fail} the render: ${why} makes every warning an error`),
  );
}

const strictWhy = (config: InjectionConfig | undefined, flag: boolean | undefined) =>
  flag ? '--strict' : config?.strict ? 'spec.strict' : undefined;

/** The results for stderr, and the summary line when the run succeeded. */
const stderrWith = (results: readonly Result[], summary: string | undefined) =>
  stderrOf(results) + (summary ? `inject-sidecar: ${summary}\n` : '');

export interface RunOptions {
  /** Plain mode's --audit: the config's mode becomes audit. */
  audit?: boolean;
  /** The report's render: the config's mode becomes inject, and warnings stay warnings. */
  render?: boolean;
  /** --strict: every warning is an error. */
  strict?: boolean;
}

/** KRM function mode: a ResourceList in, a ResourceList out. */
export function runResourceList(input: string | Uint8Array, options: RunOptions = {}): RunOutput {
  let results: Result[];
  try {
    const reader = objectReader('resource-list');
    const list = readResourceList(decodeUtf8(input, 'stdin'), reader.read);
    const problems: Result[] = [...list.problems];
    const config = collect(problems, () => readFunctionConfig(list.functionConfig));
    const outcome = transform(list, reader.inventory, config);
    results = strictly([...problems, ...outcome.results], strictWhy(config, options.strict));
    if (!hasErrors(results))
      return {
        stdout: writeResourceList(list, results),
        stderr: stderrWith(results, outcome.summary),
        exitCode: 0,
        results: [...results],
      };
  } catch (error) {
    results = resultsOf(error);
  }
  // The results reach kpt; the items do not, so nothing half-done can be written.
  results = failed(results);
  return { stdout: rejectedResourceList(results), stderr: stderrOf(results), exitCode: exitCodeOf(results), results };
}

/** Plain mode: a config file, a multi-document YAML stream in, the stream out. */
export function runStream(
  configText: string | Uint8Array,
  configWhere: string,
  input: string | Uint8Array,
  options: RunOptions = {},
): RunOutput {
  return renderStream(configText, configWhere, input, options).out;
}

/** Plain mode's run, with the config it ran with (the report reads the output with it). */
function renderStream(
  configText: string | Uint8Array,
  configWhere: string,
  input: string | Uint8Array,
  options: RunOptions,
): { out: RunOutput; config?: InjectionConfig } {
  let results: Result[];
  try {
    const problems: Result[] = [];
    const read = collect(problems, () => readConfigFile(configText, configWhere));
    const config =
      read && options.audit
        ? { ...read, mode: 'audit' as const }
        : read && options.render
          ? { ...read, mode: 'inject' as const, strict: false }
          : read;
    const reader = objectReader('stream');
    const stream = readStream(decodeUtf8(input, 'stdin'), 'stdin', reader.read);
    const outcome = transform(stream, reader.inventory, config);
    results = strictly([...problems, ...stream.problems, ...outcome.results], strictWhy(config, options.strict));
    if (!hasErrors(results) && config)
      return {
        out: {
          stdout: writeStream(stream),
          stderr: stderrWith(results, outcome.summary),
          exitCode: 0,
          results: [...results],
        },
        config,
      };
  } catch (error) {
    results = resultsOf(error);
  }
  results = failed(results);
  return { out: { stdout: '', stderr: stderrOf(results), exitCode: exitCodeOf(results), results } };
}

/**
 * The report (`--report`): the package rendered, then read back and audited, as Markdown with a
 * traffic map per namespace. The input may be rendered already: the report shows what the render
 * gives. Bad input fails as the render fails, with nothing on stdout.
 */
export function runReport(configText: string | Uint8Array, configWhere: string, input: string | Uint8Array): RunOutput {
  let results: Result[];
  try {
    const { out: rendered, config } = renderStream(configText, configWhere, input, { render: true });
    if (!config) return rendered;
    const reader = objectReader('stream');
    readStream(rendered.stdout, 'the rendered output', reader.read);
    const inventory = landed(config, reader.inventory);
    const report = reportOf(config, inventory, rendered.results, auditFindings(config, inventory));
    return { stdout: markdownOf(report), stderr: '', exitCode: 0, results: rendered.results };
  } catch (error) {
    results = failed(resultsOf(error));
  }
  return { stdout: '', stderr: stderrOf(results), exitCode: exitCodeOf(results), results };
}

function readConfigFile(text: string | Uint8Array, where: string): InjectionConfig {
  const configs: unknown[] = [];
  const read = (_item: Item, _index: number, doc: Document) => {
    configs.push(toPlain(doc, doc.contents, where));
    return false;
  };
  const stream = readStream(decodeUtf8(text, where), where, read, (n) => `${where} (document ${n})`);
  if (stream.problems.length) throw new ResultsError(stream.problems);
  if (configs.length !== 1) throw problem(`${where} must hold exactly one SidecarInjection (or ConfigMap)`);
  return readFunctionConfig(configs[0]);
}
