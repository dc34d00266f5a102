// A clean start and a clean stop. The Service sends traffic to a pod once it is Ready: a sidecar
// without a readinessProbe lets that happen before the WAF listens. A native sidecar starts before
// the app, but without a startupProbe the app starts before the WAF is ready (Linkerd and Istio put
// one on their native proxies). On stop, the drain (spec.drainSeconds) keeps the sidecar accepting
// while the endpoint removal reaches every node; it must end before the grace period does.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import { podField, type Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';

/** Kubernetes' terminationGracePeriodSeconds when a pod sets none. */
export const DEFAULT_GRACE_SECONDS = 30;

export function lifecycleResults(
  config: InjectionConfig,
  injected: readonly { workload: Workload; sidecar: Container; native: boolean; fronts: boolean }[],
): Result[] {
  const results: Result[] = [];
  const fronting = injected.filter((i) => i.fronts);
  if (fronting.length && config.container.readinessProbe === undefined) {
    const field = 'spec.container.readinessProbe';
    const message =
      'the sidecar has no readinessProbe: its pods turn Ready, and Services send them traffic, before the WAF listens; ' +
      `give it one (a tcpSocket on the listen port at least) in ${field}`;
    results.push(result('warning', message, undefined, field));
  }
  if (injected.some((i) => i.native) && config.container.startupProbe === undefined) {
    const field = 'spec.container.startupProbe';
    const message =
      'the native sidecar has no startupProbe: the app containers start as soon as it has started, before the WAF is ready; ' +
      `a startupProbe in ${field} holds them back until it is`;
    results.push(result('info', message, undefined, field));
  }
  const drain = config.drainSeconds;
  if (drain !== undefined)
    for (const { workload: w } of injected) {
      const grace = w.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      if (drain < grace) continue;
      const set = w.terminationGracePeriodSeconds === undefined ? ' (the default)' : '';
      const message = `the sidecar drains for ${drain} s, but the pod's terminationGracePeriodSeconds is ${grace}${set}: the kubelet kills it before the drain ends; lower spec.drainSeconds or raise the grace period`;
      results.push(result('warning', message, w, podField(w, 'spec.terminationGracePeriodSeconds')));
    }
  return results;
}
