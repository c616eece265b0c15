import { type CanonicalAction, parseAnyAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { CALL_CONTROL_SUPPORT } from './call-channels.js';
import { CALL_RUNTIMES, runtimeProblems } from './runtime-support.js';

const endCall = parseAnyAction({
  type: 'end_call',
  name: 'End Call',
  description: 'Ends the call.',
  config: { final_message: 'Goodbye!' },
}).action;

const transferCall = parseAnyAction({
  type: 'transfer_call',
  name: 'Transfer',
  description: 'Transfers the caller.',
  config: { destination: '+15550109999', mode: 'cold' },
}).action;

const provider = (operation: string) => ({ type: 'provider', operation, input: {} });

describe('call-control steps an agent runtime cannot perform', () => {
  it('names the step and the support table reason for each runtime that cannot', () => {
    const retell = CALL_CONTROL_SUPPORT.retell.end_call;
    if (retell.supported) throw new Error('the table changed: Retell ends calls');
    const [problem, ...more] = runtimeProblems(endCall, ['retell']);
    expect(more).toEqual([]);
    expect(problem?.pointer).toBe('/steps/0');
    expect(problem?.message).toContain(retell.why);
    expect(runtimeProblems(endCall, ['retell'])[0]?.message).toContain("the agent's runtimes include retell");
    expect(runtimeProblems(transferCall, ['twilio', 'elevenlabs', 'retell']).map((p) => p.message)).toEqual([
      expect.stringContaining('on a elevenlabs call'),
      expect.stringContaining('on a retell call'),
    ]);
  });

  it('finds nothing when every runtime can, when none is listed, or when no step controls the call', () => {
    expect(runtimeProblems(endCall, ['vapi', 'twilio'])).toEqual([]);
    expect(runtimeProblems(endCall, [])).toEqual([]);
    const lookup = parseAnyAction({
      name: 'note',
      description: 'Notes a thing.',
      actions: [{ type: 'context.set', key: 'k', value: "'v'" }],
    }).action;
    expect(runtimeProblems(lookup, CALL_RUNTIMES)).toEqual([]);
  });

  it('walks onSuccess, onFailure and both branches of conditionals', () => {
    const conditional = (then: unknown[], otherwise: unknown[]) => ({
      type: 'conditional',
      condition: 'true',
      then,
      else: otherwise,
    });
    const action = {
      ...endCall,
      steps: [conditional([provider('telephony.transfer')], [])],
      onSuccess: [provider('session.pause_inactivity')],
      onFailure: [conditional([], [provider('telephony.end_call')])],
    } as unknown as CanonicalAction;
    expect(runtimeProblems(action, ['vapi']).map((p) => p.pointer)).toEqual(['/onSuccess/0']);
    expect(runtimeProblems(action, ['retell']).map((p) => p.pointer)).toEqual([
      '/steps/0/then/0',
      '/onSuccess/0',
      '/onFailure/0/else/0',
    ]);
  });

  it('agrees with the support table for every runtime and step', () => {
    for (const runtime of CALL_RUNTIMES) {
      for (const [step, support] of Object.entries(CALL_CONTROL_SUPPORT[runtime])) {
        const operation = step === 'transfer' || step === 'end_call' ? `telephony.${step}` : `session.${step}`;
        const action = { ...endCall, steps: [provider(operation)], onSuccess: [], onFailure: [] } as CanonicalAction;
        expect(runtimeProblems(action, [runtime]).length, `${runtime} ${step}`).toBe(support.supported ? 0 : 1);
      }
    }
  });
});
