import { describe, expect, it } from 'vitest';
import { handoffReferences } from './handoffs.js';

describe('handoffReferences', () => {
  it('finds handoff steps in every chain, branch, library action and topic action, with their pointers', () => {
    const found = handoffReferences({
      actions: [
        {
          name: 'a',
          actions: [
            { type: 'respond', message: 'hi' },
            { type: 'handoff', target: 'billing' },
          ],
        },
        {
          name: 'b',
          actions: [
            {
              type: 'conditional',
              condition: 'true',
              // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
              then: [{ type: 'handoff', target: 'sales', topic: 'renewals', message: 'Over to sales' }],
              // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
              else: [{ type: 'conditional', condition: 'x', then: [{ type: 'handoff', target: 'deep' }] }],
            },
          ],
          on_failure: [{ type: 'handoff', target: 'human' }],
        },
      ],
      library: [{ name: 'lib', on_success: [{ type: 'handoff', target: 'lib_target' }] }],
      topics: [
        {
          name: 'T',
          actions: [{ import: 'lib' }, { name: 'own', actions: [{ type: 'handoff', target: 'topic_target' }] }],
        },
      ],
    });
    expect(found).toEqual([
      { pointer: '/actions/0/actions/1', target: 'billing' },
      { pointer: '/actions/1/actions/0/then/0', target: 'sales', topic: 'renewals' },
      { pointer: '/actions/1/actions/0/else/0/then/0', target: 'deep' },
      { pointer: '/actions/1/on_failure/0', target: 'human' },
      { pointer: '/library/0/on_success/0', target: 'lib_target' },
      { pointer: '/topics/0/actions/1/actions/0', target: 'topic_target' },
    ]);
  });

  it('ignores what is not a handoff with a string target (validation reports those)', () => {
    expect(
      handoffReferences({
        actions: [null, 'x', { actions: [{ type: 'handoff' }, { type: 'handoff', target: 3 }, null] }, { inputs: [] }],
        topics: [null, { name: 'x' }],
      }),
    ).toEqual([]);
  });
});
