import type { Queryable } from '@switchboard/db';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationEnds } from './conversation-ends.js';

/** A `conversations` table reduced to the set of ended ids; counts the polls. */
function fakeDb(ended: Set<string>) {
  const polls: string[][] = [];
  const db = {
    query: async (text: string, params: unknown[] = []) => {
      if (!text.includes("status = 'ended'")) throw new Error(`unexpected query: ${text}`);
      const ids = params[0] as string[];
      polls.push(ids);
      return { rows: ids.filter((id) => ended.has(id)).map((id) => ({ id })) };
    },
  } as unknown as Queryable;
  return { db, polls };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `check` to hold (polls run on real timers: however slow the machine, they come). */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

let ends: ConversationEnds | undefined;
afterEach(() => ends?.close());

describe('ConversationEnds', () => {
  it('tells every watcher of a conversation ended here, once, and only them', async () => {
    const { db, polls } = fakeDb(new Set());
    ends = new ConversationEnds(db, 10_000);
    const calls: string[] = [];
    ends.watch('conv_a', () => calls.push('a1'));
    ends.watch('conv_a', () => calls.push('a2'));
    ends.watch('conv_b', () => calls.push('b'));
    ends.ended('conv_a');
    ends.ended('conv_a');
    expect(calls).toEqual(['a1', 'a2']);
    expect(ends.size).toBe(1);
    expect(polls).toEqual([]);
  });

  it('finds an end made elsewhere by polling only the watched conversations', async () => {
    const ended = new Set<string>();
    const { db, polls } = fakeDb(ended);
    ends = new ConversationEnds(db, 20);
    const calls: string[] = [];
    ends.watch('conv_a', () => calls.push('a'));
    ends.watch('conv_b', () => calls.push('b'));
    await until(() => polls.length > 0);
    expect(calls).toEqual([]);
    expect(polls.at(-1)?.sort()).toEqual(['conv_a', 'conv_b']);
    ended.add('conv_b');
    await until(() => calls.length > 0);
    expect(calls).toEqual(['b']);
    const seen = polls.length;
    await until(() => polls.length > seen);
    expect(polls.at(-1)).toEqual(['conv_a']);
  });

  it('stops polling when nobody watches, and a stopped watch is never called', async () => {
    const ended = new Set<string>(['conv_a']);
    const { db, polls } = fakeDb(ended);
    ends = new ConversationEnds(db, 20);
    let called = false;
    const unwatch = ends.watch('conv_a', () => {
      called = true;
    });
    unwatch();
    // Nothing to wait for: a few poll intervals pass (on a slow machine, fewer; never a false failure).
    await sleep(80);
    expect(called).toBe(false);
    expect(polls).toEqual([]);
    expect(ends.size).toBe(0);
  });

  it('keeps polling after a failed poll', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const db = {
      query: async () => {
        if (fail) throw new Error('connection lost');
        return { rows: [{ id: 'conv_a' }] };
      },
    } as unknown as Queryable;
    ends = new ConversationEnds(db, 20, (err) => errors.push(err));
    let called = false;
    ends.watch('conv_a', () => {
      called = true;
    });
    await until(() => errors.length > 0);
    fail = false;
    await until(() => called);
    expect(errors[0]).toMatchObject({ message: 'connection lost' });
  });
});
