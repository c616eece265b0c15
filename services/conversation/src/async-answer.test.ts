import { parseDeclarativeTool, parseTypedAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { progressText } from './async-answer.js';

describe('progressText', () => {
  it("says the action's progress message, rendered with the arguments and the call context", () => {
    const action = parseTypedAction({
      name: 'build_report',
      description: 'Builds a report',
      target: 'webhook://reports',
      inputs: { topic: { type: 'string', description: 'Topic' } },
      progress_indicator_message: 'Building the {{params.topic}} report for {{context.contact.name}}.',
    });
    expect(progressText(action, { topic: 'sales' }, { contact: { name: 'Ada' } })).toBe(
      'Building the sales report for Ada.',
    );
  });

  it('says that the action started when it has no progress message', () => {
    const action = parseDeclarativeTool({ name: 'slow_report', description: 'Builds a report', async: true });
    expect(progressText(action, {}, {})).toBe('Slow Report has started; its result follows when it is ready.');
  });
});
