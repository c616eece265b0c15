/** The activity proxies a session schedules through. */
import type { EffectPolicy } from '@switchboard/actions';
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OutcomeThenLifecyclesActivities, SessionActivities } from '../../activity-types.js';
import { activityOptionsFor, type EffectDefaults } from '../../policy.js';

/** The session's own local activities: publishing outcomes, starting lifecycles. */
export const sessionActivities = proxyLocalActivities<SessionActivities & OutcomeThenLifecyclesActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 20 },
});

/** Activity proxies by queue and policy (a definition has few distinct policies). */
const proxies = new Map<string, unknown>();

/** The proxy of a worker's activities on `queue`, scheduled with `policy` over `defaults`. */
export function proxyFor<T>(queue: string, policy: EffectPolicy | undefined, defaults: EffectDefaults): T {
  const key = `${queue}\u0000${policy === undefined ? '' : JSON.stringify(policy)}`;
  let proxy = proxies.get(key);
  if (proxy === undefined) {
    proxy = proxyActivities(activityOptionsFor(queue, defaults, policy));
    proxies.set(key, proxy);
  }
  return proxy as T;
}
