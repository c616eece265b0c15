/** One Server-Sent Event: its `id` (the resume cursor), `event` name and parsed `data`. */
export interface SseEvent {
  id: number;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are checked by the assertions
  data: any;
}

/** An open SSE connection, read event by event. */
export interface SseStream {
  /**
   * Reads events until one satisfies `until`; returns every event read, that one last. Fails
   * when the stream ends first or after `timeoutMs`.
   */
  readUntil(until: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Drops the connection, as a client that goes away: whatever was not read yet is lost to it. */
  close(): void;
}

/**
 * Opens an SSE stream (`GET` with the API key, and `Last-Event-ID` when resuming) and waits
 * for the server's `: connected` comment: from then on, nothing published is missed.
 */
export async function openSse(url: string, apiKey: string, lastEventId?: number): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: 'text/event-stream',
      ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }),
    },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const blocks: string[] = [];

  /** The next block (event or comment), reading more of the body when needed. */
  const nextBlock = async (): Promise<string> => {
    for (;;) {
      const shifted = blocks.shift();
      if (shifted !== undefined) return shifted;
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        blocks.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };
  while (!(await nextBlock()).startsWith(': connected')) {
    // Nothing comes before the server's greeting.
  }

  return {
    async readUntil(until, timeoutMs = 30_000) {
      const out: SseEvent[] = [];
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no matching event within ${timeoutMs} ms; read: ${JSON.stringify(out)}`)),
          timeoutMs,
        );
      });
      try {
        for (;;) {
          const block = await Promise.race([nextBlock(), expired]);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          // Comments (keepalives) carry no event.
          if (id === undefined || event === undefined || data === undefined) continue;
          const e: SseEvent = { id: Number(id), event, data: JSON.parse(data) };
          out.push(e);
          if (until(e)) return out;
        }
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => controller.abort(),
  };
}
