// The annotations this function reads and writes. Each one it writes records what it changed, so a
// later run can upgrade or undo the change without guessing.
export const INJECT = 'inject-sidecar.dev/inject';
export const APP_PORT = 'inject-sidecar.dev/app-port';
/** On the pod template: what was injected (JSON), like Istio's `sidecar.istio.io/status`. */
export const STATUS = 'inject-sidecar.dev/status';
/** On a Service: the targetPorts that were rewired and what they were before (JSON). */
export const REWIRED = 'inject-sidecar.dev/rewired-ports';
export const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';
/** On a NetworkPolicy: the ingress rules this function changed, and what they were before (JSON). */
export const POLICY_PORTS = 'inject-sidecar.dev/ingress-ports';
/** On a NetworkPolicy this function generated (networkPolicies: generate): the injection's name. */
export const GENERATED_BY = 'inject-sidecar.dev/generated-by';
/** On a generated NetworkPolicy: the workload it guards. */
export const GENERATED_FOR = 'inject-sidecar.dev/generated-for';
/**
 * Read only: an object with either is a hook of its release (a test Pod, a pre-install Job, an Argo
 * CD sync hook), not one of its workloads, and is never injected or counted behind a Service.
 */
export const HOOKS = ['helm.sh/hook', 'argocd.argoproj.io/hook'] as const;
