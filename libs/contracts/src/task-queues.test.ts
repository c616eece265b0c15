import { ConfigError, EnvReader } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { readTaskQueues } from './task-queues.js';
import { familyProvider, TaskQueues } from './temporal.js';

const read = (env: NodeJS.ProcessEnv) => {
  const r = new EnvReader(env);
  const queues = readTaskQueues(r);
  r.done();
  return queues;
};

describe('readTaskQueues', () => {
  it('gives the default names when nothing is set', () => {
    expect(read({})).toEqual(TaskQueues);
  });

  it('renames each queue by its own variable', () => {
    expect(
      read({
        CHAINS_TASK_QUEUE: 'b-chains',
        WEBHOOK_TASK_QUEUE: 'b-webhook',
        CALCOM_TASK_QUEUE: 'b-calcom',
        TELEPHONY_TASK_QUEUE: 'b-telephony',
        CRM_TASK_QUEUE: 'b-crm',
      }),
    ).toEqual({ Chains: 'b-chains', Webhook: 'b-webhook', Calcom: 'b-calcom', Telephony: 'b-telephony', Crm: 'b-crm' });
    expect(read({ CRM_TASK_QUEUE: 'crm-2' })).toEqual({ ...TaskQueues, Crm: 'crm-2' });
  });

  it('refuses two families on one queue, naming it', () => {
    expect(() => read({ CALCOM_TASK_QUEUE: 'shared', CRM_TASK_QUEUE: 'shared' })).toThrow(ConfigError);
    expect(() => read({ CRM_TASK_QUEUE: TaskQueues.Webhook })).toThrow(/'switchboard-webhook' is named twice/);
  });

  it('names the provider of every family', () => {
    expect(familyProvider('Telephony')).toBe('twilio');
  });
});
