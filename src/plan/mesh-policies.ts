// A mesh authorization (Linkerd Server, Istio AuthorizationPolicy) on a fronted app port no longer
// guards the path to the app, and an Istio PeerAuthentication's port-level mTLS mode for it no longer
// applies: traffic now arrives on the listen port and reaches the app from the sidecar on localhost.
// Say so, naming it and the listen port it should cover instead. The audit counts each as a path.

import { labelIndex } from '../objects/label-index.js';
import type { MeshPolicy } from '../objects/mesh-policy.js';
import { resolvePort } from '../objects/ports.js';
import { declaredAppPorts } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import type { PlannedWorkload } from './workload.js';

export function meshPolicyWarnings(policies: readonly MeshPolicy[], injected: readonly PlannedWorkload[]): Result[] {
  const results: Result[] = [];
  // A policy is about pods of its own namespace only.
  const select = labelIndex(
    injected,
    (i) => i.workload.ref.namespace,
    (i) => i.workload.podLabels,
  );
  for (const policy of policies) {
    const selected = select(policy.ref.namespace, policy.podSelector);
    for (const { port, field } of policy.ports) {
      for (const { workload: w, fronts } of selected) {
        const n = resolvePort(port, declaredAppPorts(w), 'TCP');
        const m = fronts.find((x) => x.appPort === n);
        if (!m) continue;
        const fronted = `app port ${m.appPort} of ${w.ref.kind} ${w.ref.name}, which the sidecar now fronts: traffic arrives on listen port ${m.listenPort}`;
        const message =
          policy.about === 'mtls'
            ? `sets the mTLS mode of ${fronted} under the workload's default mode instead; set portLevelMtls for port ${m.listenPort} too`
            : `authorizes ${fronted}, so this no longer guards the path to the app; cover port ${m.listenPort} instead`;
        results.push(result('warning', message, policy, field));
        break;
      }
    }
  }
  return results;
}
