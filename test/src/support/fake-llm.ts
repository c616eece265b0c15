import { createServer, type IncomingHttpHeaders } from 'node:http';

/** A tool call a scripted reply makes: the tool name and its arguments. */
export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One scripted chat-completions answer: words, tool calls, or both; or an HTTP error. */
export type ScriptedReply =
  | { content?: string | null; tool_calls?: ScriptedToolCall[] }
  | { error: { status: number; message: string } };

/** A chat-completions request as the fake received it. */
export interface ReceivedChatRequest {
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are checked by the assertions
  body: any;
}

/** A local OpenAI-compatible chat-completions server answering with scripted replies. */
export interface FakeLlm {
  /** Base URL to configure (`…/v1`); the client posts to `<url>/chat/completions`. */
  url: string;
  /** Queues replies, answered in order, one per request. */
  script(...replies: ScriptedReply[]): void;
  /** Every chat-completions request received, oldest first. */
  requests(): ReceivedChatRequest[];
  /** Forgets the received requests and any unused replies. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the fake on a free port. It speaks the wire format of `POST /v1/chat/completions`
 * (so the real `openai` client is what talks to it), gives tool calls sequential ids, and
 * answers a request with no scripted reply left with a 400 naming the problem, so a test that
 * expects fewer model calls than happen fails loudly.
 */
export async function startFakeLlm(): Promise<FakeLlm> {
  let replies: ScriptedReply[] = [];
  let received: ReceivedChatRequest[] = [];
  let callIds = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return json(404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ headers: req.headers, body });
      const reply = replies.shift();
      if (reply === undefined) {
        return json(400, { error: { message: 'fake LLM: no scripted reply left', type: 'invalid_request_error' } });
      }
      if ('error' in reply) {
        return json(reply.error.status, { error: { message: reply.error.message, type: 'fake_error' } });
      }
      const toolCalls = (reply.tool_calls ?? []).map((call) => ({
        id: `call_${++callIds}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      }));
      return json(200, {
        id: `chatcmpl-${received.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
            message: {
              role: 'assistant',
              content: reply.content ?? null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    script: (...more) => {
      replies.push(...more);
    },
    requests: () => [...received],
    reset: () => {
      replies = [];
      received = [];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
