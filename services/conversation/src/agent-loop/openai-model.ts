/**
 * The {@link ChatModel} over the official `openai` client: chat completions with function tools,
 * against any OpenAI-compatible endpoint (OpenAI, Azure-style proxies, vLLM, Ollama, LiteLLM…).
 */
import type { OpenAITool } from '@switchboard/agents';
import { SwitchboardError } from '@switchboard/common';
import OpenAI, {
  APIConnectionError,
  APIError,
  AuthenticationError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import type { ChatMessage, ChatModel, ChatReply, ChatRequest } from './types.js';

/** Where and how to reach the model. */
export interface OpenAIChatModelOptions {
  /** Base URL of the API, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Per request, in milliseconds. Default 30 s: a caller is waiting on the line. */
  timeoutMs?: number;
  /** Client retries of connection errors, 408/409/429 and 5xx. Default 1. */
  maxRetries?: number;
}

/** Builds the model of an agent from its settings; the seam tests and other providers replace. */
export type ChatModelFactory = (options: OpenAIChatModelOptions) => ChatModel;

/** Stable error codes of the model. */
export const LlmErrorCodes = {
  /** The endpoint refused the key (401/403): fix the credential. */
  AuthFailed: 'llm_auth_failed',
  /** Unreachable, timed out, rate-limited or 5xx: retrying may help. */
  Unavailable: 'llm_unavailable',
  /** The endpoint rejected the request (400/404/422: unknown model, bad tool schema…). */
  Rejected: 'llm_request_rejected',
  /** The answer had no choice to read. */
  InvalidResponse: 'llm_invalid_response',
} as const;

/** A chat model on the `openai` client. */
export const createOpenAIChatModel: ChatModelFactory = (options) => {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 1,
    // Nothing from the service's environment (OPENAI_ORG_ID…) may leak into a tenant's requests.
    organization: null,
    project: null,
  });
  return {
    async complete(request: ChatRequest): Promise<ChatReply> {
      let completion: OpenAI.Chat.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model: options.model,
          messages: request.messages.map(toOpenAIMessage),
          // `tool_choice` without tools is an error on the OpenAI API.
          ...(request.tools.length > 0
            ? { tools: request.tools.map(toOpenAITool), tool_choice: request.toolChoice }
            : {}),
        });
      } catch (err) {
        throw toLlmError(err, options.baseUrl);
      }
      const message = completion.choices?.[0]?.message;
      if (!message) {
        throw new SwitchboardError(LlmErrorCodes.InvalidResponse, 'the LLM answered without a choice', {
          retryable: true,
        });
      }
      return {
        text: typeof message.content === 'string' ? message.content : null,
        toolCalls: (message.tool_calls ?? []).flatMap((call) =>
          call.type === 'function'
            ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
            : [],
        ),
      };
    },
  };
};

/** An exported tool → the client's tool type (the JSON is the same; its schema type is looser). */
function toOpenAITool(tool: OpenAITool): OpenAI.Chat.ChatCompletionFunctionTool {
  return {
    type: 'function',
    function: {
      name: tool.function.name,
      description: tool.function.description,
      parameters: tool.function.parameters as unknown as Record<string, unknown>,
      strict: false,
    },
  };
}

/** Our message shape → the chat-completions message param. */
export function toOpenAIMessage(message: ChatMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/** The client's errors → typed errors that say whether retrying helps (never the key). */
function toLlmError(err: unknown, baseUrl: string): SwitchboardError {
  const host = safeHost(baseUrl);
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) {
    return new SwitchboardError(LlmErrorCodes.AuthFailed, `the LLM endpoint ${host} refused the credential`, {
      retryable: false,
      cause: err,
      details: { status: err.status },
    });
  }
  if (err instanceof APIConnectionError || err instanceof RateLimitError || err instanceof InternalServerError) {
    return new SwitchboardError(LlmErrorCodes.Unavailable, `the LLM endpoint ${host} is unavailable: ${err.message}`, {
      retryable: true,
      cause: err,
    });
  }
  if (err instanceof APIError) {
    return new SwitchboardError(
      LlmErrorCodes.Rejected,
      `the LLM endpoint ${host} rejected the request: ${err.message}`,
      {
        retryable: false,
        cause: err,
        ...(typeof err.status === 'number' ? { details: { status: err.status } } : {}),
      },
    );
  }
  return new SwitchboardError(LlmErrorCodes.Unavailable, `the LLM call failed: ${String(err)}`, {
    retryable: true,
    cause: err,
  });
}

function safeHost(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return '(invalid URL)';
  }
}
