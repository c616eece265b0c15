import { describe, expect, it } from 'vitest';
import { compileAgentDefinition } from './definition.js';

const action = (name: string) => ({
  name,
  description: `Runs ${name}`,
  parameters: [{ name: 'x', type: 'string' }],
  actions: [{ type: 'webhook', endpoint: 'office', payload: { x: 'params.x' } }],
});

describe('compileAgentDefinition', () => {
  it('points a duplicate name at its index in the input, also after an invalid action was left out', () => {
    const compiled = compileAgentDefinition({
      instructions: "Use 'notify'.",
      actions: [{ name: 'broken' }, action('notify'), action('Notify')],
    });
    const duplicate = compiled.issues.find((i) => i.message.includes('already used'));
    expect(duplicate?.pointer).toBe('/actions/2/name');
    expect(duplicate?.message).toBe("action name 'Notify' is already used by action 1 ('notify')");
    expect(compiled.issues.some((i) => i.pointer.startsWith('/actions/0'))).toBe(true);
  });
});
