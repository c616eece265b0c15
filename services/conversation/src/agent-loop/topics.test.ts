import { type CanonicalAction, RunModes } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { topicTurnActions, topicTurnInstructions } from './topics.js';

const action = (name: string, run: CanonicalAction['run'] = RunModes.Tool, label = name): CanonicalAction =>
  ({ name, label, run }) as unknown as CanonicalAction;

describe('topicTurnActions', () => {
  it("adds the topic's actions to the top-level ones, the topic's copy replacing a same-named one", () => {
    const topLevel = [action('lookup'), action('notify', RunModes.AfterTurn, 'top')];
    const topic = [action('notify', RunModes.Tool, 'topic copy'), action('greet', RunModes.EveryTurn)];
    const { actions, own } = topicTurnActions(topLevel, topic);
    expect(actions.map((a) => `${a.name}:${a.label}:${a.run}`)).toEqual([
      'lookup:lookup:tool',
      'notify:topic copy:tool',
      'greet:greet:every_turn',
    ]);
    expect([...own].sort()).toEqual(['greet', 'notify']);
  });

  it('without topic actions, is the top-level list', () => {
    const topLevel = [action('a'), action('b')];
    expect(topicTurnActions(topLevel, []).actions).toEqual(topLevel);
    expect(topicTurnActions(topLevel, []).own.size).toBe(0);
  });
});

describe('topicTurnInstructions', () => {
  it("appends the topic's name, description and instructions", () => {
    const text = topicTurnInstructions('Be brief. ', { name: 'billing', description: 'Invoices ' }, ' Refund once.\n');
    expect(text).toBe('Be brief.\n\nCurrent topic: billing (Invoices)\n\nRefund once.');
    expect(topicTurnInstructions('Be brief.', { name: 'b', description: 'd' }, '   ')).toBe(
      'Be brief.\n\nCurrent topic: b (d)',
    );
  });
});
