import { ConfigError, EnvReader } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { readTaskQueues } from './task-queues.js';
import { familyProvider, operationFamily, operationProvider, TaskQueues } from './temporal.js';

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

  it('maps every provider operation family to a queue of the deployment', () => {
    const queues = read({ TELEPHONY_TASK_QUEUE: 'b-telephony' });
    expect(queues[operationFamily('sms.send') as 'Telephony']).toBe('b-telephony');
    expect(operationFamily('telephony.transfer')).toBe('Telephony');
    expect(operationFamily('calcom.book')).toBe('Calcom');
    expect(operationFamily('crm.ticket')).toBe('Crm');
    expect(operationFamily('http.request')).toBe('Webhook');
    expect(operationFamily('session.end_call')).toBe('session');
    expect(operationFamily('fax.send')).toBeUndefined();
  });

  it('names the provider behind every operation and family', () => {
    expect(
      ['calcom.book', 'sms.send', 'telephony.transfer', 'crm.lookup', 'http.request'].map(operationProvider),
    ).toEqual(['calcom', 'twilio', 'twilio', 'hubspot', 'webhook']);
    expect(operationProvider('session.pause_inactivity')).toBeUndefined();
    expect(operationProvider('fax.send')).toBeUndefined();
    expect(familyProvider('Telephony')).toBe('twilio');
  });
});
