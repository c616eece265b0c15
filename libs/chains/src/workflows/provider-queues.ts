/** Provider activity proxies by task queue, for workflows that call providers with one policy. */
import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities } from '../activity-types.js';

/**
 * The provider activities of each task queue, scheduled with `options` (one proxy per queue,
 * made on first use); the activity type is the operation name.
 */
export function providerQueues(options: Omit<ActivityOptions, 'taskQueue'>): (queue: string) => ProviderActivities {
  const proxies = new Map<string, ProviderActivities>();
  return (queue) => {
    let proxy = proxies.get(queue);
    if (!proxy) {
      proxy = proxyActivities<ProviderActivities>({ ...options, taskQueue: queue });
      proxies.set(queue, proxy);
    }
    return proxy;
  };
}
