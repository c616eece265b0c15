import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sink, startSink } from './sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink?.close();
});
beforeEach(() => sink.clear());

const post = (path: string) =>
  fetch(`${sink.url}${path}`, { method: 'POST', body: '{"n":1}' }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }));

describe('holding requests', () => {
  it('keeps requests unanswered until released, recording them on arrival', async () => {
    sink.hold();
    let answered = false;
    const first = post('/a').then((r) => {
      answered = true;
      return r;
    });
    await waitUntil(() => sink.requests().length === 1);
    expect(answered).toBe(false);
    expect(sink.release({ keepHolding: true })).toBe(1);
    expect(await first).toEqual({ status: 200, body: { ok: true, id: 1 } });

    // Still holding: the next one waits too, until a release that stops holding.
    const second = post('/b');
    await waitUntil(() => sink.requests().length === 2);
    expect(sink.release()).toBe(1);
    expect((await second).status).toBe(200);
    expect((await post('/c')).status).toBe(200);
    expect(sink.release()).toBe(0);
  });

  it('answers a held request with the fault it drew on arrival', async () => {
    sink.hold();
    sink.fault({ status: 503, count: 1 });
    const faulted = post('/f');
    await waitUntil(() => sink.requests().length === 1);
    sink.release();
    expect(await faulted).toEqual({ status: 503, body: { error: 'injected fault' } });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
