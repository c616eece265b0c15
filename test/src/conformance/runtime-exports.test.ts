import { fileURLToPath } from 'node:url';
import { compileAgentDefinition, type ExportedTools, exportTools, type RuntimeFormat } from '@switchboard/agents';
import { EXAMPLE_AGENTS, exampleAgent } from '@switchboard/devstack';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The shipped example agents exported for each voice runtime, and the exported JSON type-checked
// against the runtime's official SDK — the same check `tsc` makes of the OpenAI export, where
// the conversation service hands it to the `openai` client — and its parameter schemas
// validated as JSON Schema.

const BASE = 'https://switchboard.example.com';
const ELEVENLABS_URL = 'https://hooks.example.com/elevenlabs';

/** Where each format's export must fit: the SDK import and the type of the array of tools. */
const SDK_TYPES: Record<RuntimeFormat, { imports: string; type: string }> = {
  // `POST /tool` bodies (`CreateToolsRequest`, discriminated by `type`: the function tool).
  vapi: { imports: "import type { Vapi } from '@vapi-ai/server-sdk';", type: 'Vapi.CreateToolsRequest[]' },
  // A Retell LLM's `general_tools`.
  retell: {
    imports: "import type Retell from 'retell-sdk';",
    type: "NonNullable<Retell.LlmCreateParams['general_tools']>",
  },
  // `conversationalAi.tools.create({ toolConfig })`.
  elevenlabs: {
    imports: "import type { ElevenLabs } from '@elevenlabs/elevenlabs-js';",
    type: 'ElevenLabs.ToolRequestModelToolConfig[]',
  },
};

function exportAgent(name: (typeof EXAMPLE_AGENTS)[number], format: RuntimeFormat): ExportedTools<unknown> {
  const compiled = compileAgentDefinition(exampleAgent(name));
  expect(compiled.issues).toEqual([]);
  const url = format === 'elevenlabs' ? ELEVENLABS_URL : `${BASE}/v1/dropin/${format}/${encodeURIComponent(name)}`;
  return exportTools(
    compiled.actions.map((a) => a.canonical),
    format,
    { url },
  );
}

/** `tsc`'s diagnostics for a source file that sits (in memory) in this package, so it resolves the SDKs. */
function typeErrors(source: string): string[] {
  const file = fileURLToPath(new URL('./runtime-exports.check.ts', import.meta.url));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    .filter((message) => message.length > 0);
}

describe('runtime exports of the shipped example agents', () => {
  const formats = Object.keys(SDK_TYPES) as RuntimeFormat[];

  it('type-check against the official SDKs', () => {
    const lines: string[] = [...new Set(formats.map((f) => SDK_TYPES[f].imports))];
    for (const format of formats) {
      for (const agent of EXAMPLE_AGENTS) {
        const { tools } = exportAgent(agent, format);
        expect(tools.length).toBeGreaterThan(0);
        // The JSON as a runtime would receive it, checked as an object literal: excess properties too.
        lines.push(`export const ${format}_${agent}: ${SDK_TYPES[format].type} = ${JSON.stringify(tools, null, 2)};`);
      }
    }
    expect(typeErrors(lines.join('\n'))).toEqual([]);
  }, 120_000);

  it('type-check catches a wrong shape (the check can fail)', () => {
    const { tools } = exportAgent('booking', 'vapi');
    const broken = JSON.stringify(tools).replace('"server":{', '"serverr":{');
    const errors = typeErrors(`${SDK_TYPES.vapi.imports}\nexport const x: ${SDK_TYPES.vapi.type} = ${broken};`);
    expect(errors.join('\n')).toMatch(/serverr/);
  }, 120_000);

  it('post to the drop-in endpoints and carry the agents’ messages', () => {
    const vapi = exportAgent('booking', 'vapi').tools as {
      function: { name: string };
      server: { url: string };
      messages: { type: string; content: string }[];
    }[];
    for (const tool of vapi) expect(tool.server.url).toBe(`${BASE}/v1/dropin/vapi/booking`);
    const book = vapi.find((t) => t.function.name === 'book_consultation');
    expect(book?.messages).toContainEqual({
      type: 'request-failed',
      content:
        "I'm so sorry, I couldn't book that time. I can transfer you to our scheduling team now, or have them call you back. Which would you prefer?",
    });
    const retell = exportAgent('booking', 'retell').tools as { url: string }[];
    for (const tool of retell) expect(tool.url).toBe(`${BASE}/v1/dropin/retell/booking`);
  });

  it('have parameter schemas that are valid JSON Schema', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    const schemaOf: Record<RuntimeFormat, (tool: never) => object> = {
      vapi: (tool: { function: { parameters: object } }) => tool.function.parameters,
      retell: (tool: { parameters: object }) => tool.parameters,
      elevenlabs: (tool: { apiSchema: { requestBodySchema: object } }) => tool.apiSchema.requestBodySchema,
    };
    for (const format of formats) {
      for (const agent of EXAMPLE_AGENTS) {
        for (const tool of exportAgent(agent, format).tools) {
          const schema = schemaOf[format](tool as never);
          expect(ajv.validateSchema(schema), `${format} ${agent}: ${ajv.errorsText()}`).toBe(true);
          // Compiles in strict mode: no unknown keywords.
          expect(() => ajv.compile(schema)).not.toThrow();
        }
      }
    }
  });
});
