/**
 * Every agent the dev stack seeds (and ships as an example) publishes without forcing: valid,
 * and its instructions lint-clean — every action mentioned, every reference exact.
 */
import { compileAgentDefinition } from '@switchboard/agents';
import type { JsonObject } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { demoTool, EXAMPLE_AGENTS, exampleAgent } from './seed.js';

const receptionist = demoTool('receptionist/agent.json') as { instructions: string; actions: string[] };
const seeded: [string, { instructions: string; actions: JsonObject[] }][] = [
  ...EXAMPLE_AGENTS.map((name) => [name, exampleAgent(name)] as [string, ExampleLike]),
  [
    'receptionist',
    {
      instructions: receptionist.instructions,
      actions: receptionist.actions.map((file) => demoTool(`receptionist/${file}`)),
    },
  ],
];
type ExampleLike = { instructions: string; actions: JsonObject[] };

describe('seeded agents', () => {
  it.each(seeded)('%s is valid and its instructions are lint-clean', (_name, agent) => {
    const compiled = compileAgentDefinition(agent);
    expect(compiled.issues).toEqual([]);
    expect(compiled.lint).toEqual([]);
  });
});
