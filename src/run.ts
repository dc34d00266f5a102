// The whole flow in one place: parse -> validate config -> read plain data -> plan -> apply ->
// serialize. Both entry points (ResourceList and plain stream) share everything but the edges.
import { isMap, stringify, type YAMLMap } from 'yaml';
import { readFunctionConfig, type InjectionConfig } from './config.js';
import { applyPlan } from './apply.js';
import { decodeUtf8, loadItem, readResourceList, readStream, releaseItem, toPlain, type Item } from './io.js';
import { planInjection } from './plan.js';
import { FunctionError, formatResult, type ResourceRef, type Result } from './results.js';
import { readService, type Service } from './service.js';
import { readWorkload, workloadKindOf, type Workload } from './workload.js';

export interface RunOutput {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1;
  results: Result[];
}

const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];

interface ReadItems {
  workloads: Workload[];
  services: Service[];
}

/** Reads the identity of every item, and the plain data of workloads and Services. */
function readItems(items: readonly Item[], inputSize: number): ReadItems {
  const workloads: Workload[] = [];
  const services: Service[] = [];
  items.forEach((item, index) => {
    const node = loadItem(item);
    const apiVersion = node.get('apiVersion');
    const kind = node.get('kind');
    const metadata = node.get('metadata', true);
    const at = `item ${index + 1}`;
    if (typeof kind !== 'string' || kind === '') throw new FunctionError(`${at} has no kind`, undefined, `items[${index}].kind`);
    if (typeof apiVersion !== 'string' || apiVersion === '') throw new FunctionError(`${at} (${kind}) has no apiVersion`, undefined, `items[${index}].apiVersion`);
    if (!isMap(metadata)) throw new FunctionError(`${at} (${kind}) has no metadata`, undefined, `items[${index}].metadata`);
    const name = (metadata as YAMLMap).get('name');
    const namespace = (metadata as YAMLMap).get('namespace');
    const ref: ResourceRef = {
      apiVersion,
      kind,
      name: typeof name === 'string' ? name : '',
      ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
    };
    const annotations = (metadata as YAMLMap).get('annotations', true);
    let file: Result['file'];
    if (isMap(annotations)) {
      const path = PATH_ANNOTATIONS.map((k) => annotations.get(k)).find((v) => typeof v === 'string');
      const fileIndex = INDEX_ANNOTATIONS.map((k) => annotations.get(k)).find((v) => v !== undefined);
      if (typeof path === 'string') file = { path, ...(fileIndex !== undefined ? { index: Number(fileIndex) } : {}) };
    }
    const workloadKind = workloadKindOf(apiVersion, kind);
    const isService = kind === 'Service' && apiVersion === 'v1';
    if (workloadKind) {
      if (ref.name === '') throw new FunctionError(`${at} (${kind}) has no metadata.name`, ref, 'metadata.name');
      const object = toPlain(item.doc!, node, `${kind} ${ref.name}`) as Record<string, unknown>;
      workloads.push({ ...readWorkload(index, ref, workloadKind, object), ...(file ? { file } : {}) });
    } else if (isService) {
      const object = toPlain(item.doc!, node, `Service ${ref.name}`) as Record<string, unknown>;
      services.push({ ...readService(index, ref, object), ...(file ? { file } : {}) });
    }
    releaseItem(item, workloadKind?.injectable === true || isService, inputSize);
  });
  return { workloads, services };
}

/** The transformation proper, on items from either edge. */
export function transform(items: readonly Item[], config: InjectionConfig, inputSize: number): Result[] {
  const { workloads, services } = readItems(items, inputSize);
  const plan = planInjection(config, workloads, services);
  applyPlan(plan, items);
  return plan.results;
}

function failure(error: unknown): { result: Result; stderr: string } {
  const result =
    error instanceof FunctionError
      ? error.toResult()
      : { severity: 'error' as const, message: `internal error: ${(error as Error)?.message ?? String(error)}; please report this with the input that caused it` };
  if (!(error instanceof FunctionError) && process.env.INJECT_SIDECAR_DEBUG) console.error(error);
  return { result, stderr: `${formatResult(result)}\n` };
}

const warningsOf = (results: readonly Result[]) =>
  results
    .filter((r) => r.severity !== 'info')
    .map((r) => `${formatResult(r)}\n`)
    .join('');

/** KRM function mode: a ResourceList in, a ResourceList out. */
export function runResourceList(input: string | Uint8Array): RunOutput {
  try {
    const text = decodeUtf8(input, 'stdin');
    const list = readResourceList(text);
    const config = readFunctionConfig(list.functionConfig);
    const results = transform(list.items, config, text.length);
    return { stdout: list.print(results), stderr: warningsOf(results), exitCode: 0, results };
  } catch (error) {
    const { result, stderr } = failure(error);
    // The results reach kpt; the items do not, so nothing half-done can be written.
    const stdout = stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], results: [result] }, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
    return { stdout, stderr, exitCode: 1, results: [result] };
  }
}

/** Plain mode: a config file, a multi-document YAML stream in, the stream out. */
export function runStream(configText: string | Uint8Array, configWhere: string, input: string | Uint8Array): RunOutput {
  try {
    const configDocs = readStream(decodeUtf8(configText, configWhere), configWhere);
    if (configDocs.items.length !== 1) throw new FunctionError(`${configWhere} must hold exactly one SidecarInjection (or ConfigMap)`);
    const configItem = configDocs.items[0]!;
    const config = readFunctionConfig(toPlain(configItem.doc!, configItem.node!, configWhere));
    const text = decodeUtf8(input, 'stdin');
    const stream = readStream(text);
    const results = transform(stream.items, config, text.length);
    return { stdout: stream.print(), stderr: warningsOf(results), exitCode: 0, results };
  } catch (error) {
    const { result, stderr } = failure(error);
    return { stdout: '', stderr, exitCode: 1, results: [result] };
  }
}
