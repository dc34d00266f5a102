// An adapter for kpt-functions, the kpt TypeScript SDK named in the project's design card, so a
// TypeScript pipeline built on it can call this function:
//
//   import { injectSidecarKptFunc } from 'inject-sidecar/kpt-functions';
//   await injectSidecarKptFunc(configs);
//
// The SDK is an optional peer dependency: not bundled, not needed by the command line. The command
// line does not use it because its I/O drops comments and re-sorts items (README: Design notes);
// through this adapter the objects are the same, and the SDK does what it does with comments.
import { type Configs, isKubernetesObject, type KptFunc, type Result as KptResult } from 'kpt-functions';
import { InjectSidecarError, injectSidecar, type Result } from './lib.js';

/** The SDK spells the severity `warn`, and a resourceRef's namespace is a string. */
function toKpt(r: Result): KptResult {
  return {
    severity: r.severity === 'warning' ? 'warn' : r.severity,
    message: r.message,
    ...(r.resourceRef ? { resourceRef: { ...r.resourceRef, namespace: r.resourceRef.namespace ?? '' } } : {}),
    ...(r.field ? { field: r.field } : {}),
    ...(r.file ? { file: r.file } : {}),
  };
}

async function run(configs: Configs): Promise<void> {
  try {
    // The SDK's functionConfig is untyped: passed as JSON text, validated as the command line does.
    const config = JSON.stringify(configs.getFunctionConfig() ?? null);
    const { objects, results } = injectSidecar(configs.getAll(), config);
    configs.deleteAll();
    configs.insert(...objects.flatMap((o) => (isKubernetesObject(o) ? [o] : [])));
    configs.addResults(...results.map(toKpt));
  } catch (e) {
    // Nothing changed: the objects stay as they were, and the results say why.
    if (!(e instanceof InjectSidecarError)) throw e;
    configs.addResults(...e.results.map(toKpt));
  }
}

export const injectSidecarKptFunc: KptFunc = Object.assign(run, {
  usage:
    'Injects a filtering sidecar (WAF, proxy) into label-selected workloads and rewires their Services to it. ' +
    'The function config is a SidecarInjection (inject-sidecar.dev/v1alpha1) or a ConfigMap; see the README.',
});
