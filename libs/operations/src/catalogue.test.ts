import { BUILTIN_CATALOG } from '@switchboard/actions';
import { EnvReader } from '@switchboard/common';
import { familyProvider, readTaskQueues, TaskQueues } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  effectTraits,
  OPERATIONS,
  operationFamily,
  operationProvider,
  operationSpec,
  taskQueueForOperation,
} from './catalogue.js';

const read = (env: NodeJS.ProcessEnv) => {
  const r = new EnvReader(env);
  const queues = readTaskQueues(r);
  r.done();
  return queues;
};

describe('operation catalogue', () => {
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

  it('puts every operation on the queue of its family in the deployment, and session ones on none', () => {
    const queues = read({ CRM_TASK_QUEUE: 'b-crm' });
    expect(taskQueueForOperation('crm.archive_ticket', queues)).toBe('b-crm');
    expect(taskQueueForOperation('calcom.reschedule')).toBe(TaskQueues.Calcom);
    expect(taskQueueForOperation('session.pause_inactivity')).toBeUndefined();
    expect(taskQueueForOperation('fax.send')).toBeUndefined();
  });

  it('declares each operation once, with an undo of its own family', () => {
    const names = OPERATIONS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of OPERATIONS) {
      expect(spec.name.startsWith(`${spec.name.split('.')[0]}.`)).toBe(true);
      const r = spec.traits.reversibility;
      for (const undo of r.reversible ? r.undo : []) expect(operationFamily(undo)).toBe(spec.family);
    }
  });

  it('says which effects the session treats specially', () => {
    expect(effectTraits('telephony.transfer')?.callControl).toBe('transfer');
    expect(effectTraits('telephony.end_call')).toMatchObject({ callControl: 'end_call', deferredUntilDelivered: true });
    expect(effectTraits('session.pause_inactivity')?.callControl).toBe('pause_inactivity');
    expect(effectTraits('session.resume_inactivity')?.callControl).toBe('resume_inactivity');
    expect(effectTraits('calcom.book')?.tracksBooking).toBe(true);
    expect(effectTraits('sms.send')?.startsBookingLifecycles).toBe(true);
    expect(
      OPERATIONS.filter((o) => o.traits.callControl !== undefined)
        .map((o) => o.name)
        .sort(),
    ).toEqual(['session.pause_inactivity', 'session.resume_inactivity', 'telephony.end_call', 'telephony.transfer']);
  });

  it('declares the operation of every built-in action; exactly the call-control ones have a call-control trait', () => {
    for (const info of Object.values(BUILTIN_CATALOG)) {
      const spec = operationSpec(info.operation);
      expect(spec?.name, info.kind).toBe(info.operation);
      expect(spec?.traits.callControl !== undefined, info.kind).toBe(info.category === 'call_control');
    }
  });
});
