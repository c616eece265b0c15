import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRunCursor, encodeRunCursor, parseRunsQuery } from './runs-query.js';

const issuesOf = (params: Record<string, string>) => {
  try {
    parseRunsQuery(params);
    return [];
  } catch (err) {
    return (err as { issues: { pointer: string }[] }).issues.map((i) => i.pointer);
  }
};

describe('run cursors', () => {
  it('round-trip every position and refuse anything else', () => {
    const at = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((d) =>
        fc.integer({ min: 0, max: 999 }).map((us) => `${d.toISOString().slice(0, -1)}${String(us).padStart(3, '0')}Z`),
      );
    const id = fc.stringMatching(/^int_[0-9a-f]{24}$/);
    fc.assert(
      fc.property(at, id, (acceptedAt, intentId) => {
        const cursor = encodeRunCursor({ acceptedAt, intentId });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeRunCursor(cursor)).toEqual({ acceptedAt, intentId });
        // One character changed is (almost always) not a cursor, and never a crash.
        const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}${cursor.slice(-1)}`;
        const decoded = decodeRunCursor(tampered);
        if (decoded !== undefined) expect(decoded).not.toEqual({ acceptedAt, intentId });
      }),
    );
    for (const bad of ['', 'x', '!!!', Buffer.from('{"a":1,"i":"int_x"}').toString('base64url'), 'a'.repeat(500)]) {
      expect(decodeRunCursor(bad)).toBeUndefined();
    }
    const wrongId = Buffer.from(JSON.stringify({ a: '2030-01-01T00:00:00.000000Z', i: "int_'; drop" })).toString(
      'base64url',
    );
    expect(decodeRunCursor(wrongId)).toBeUndefined();
  });
});

describe('parseRunsQuery', () => {
  it('maps parameters to a filter, with the default page size', () => {
    expect(
      parseRunsQuery({
        status: 'stuck',
        agent: 'receptionist',
        action: 'Book',
        provider: 'calcom',
        error_code: 'provider_timeout',
        since: '2030-01-01T00:00:00Z',
        until: '2030-01-02T00:00:00+01:00',
      }),
    ).toEqual({
      filter: {
        status: 'stuck',
        agent: 'receptionist',
        action: 'Book',
        provider: 'calcom',
        errorCode: 'provider_timeout',
        since: new Date('2030-01-01T00:00:00Z'),
        until: new Date('2030-01-01T23:00:00Z'),
      },
      limit: 50,
    });
  });

  it('lists every problem with its pointer', () => {
    expect(issuesOf({ status: 'lost', provider: 'x', limit: '500', since: 'today', cursor: '%%' })).toEqual([
      '/status',
      '/provider',
      '/since',
      '/limit',
      '/cursor',
    ]);
    expect(issuesOf({ since: '2030-01-01T00:00:00Z', until: '2030-01-01T00:00:00Z' })).toEqual(['/until']);
    expect(issuesOf({ since: '0000-01-01T00:00:00Z', until: '0999-12-31T23:59:59+01:00' })).toEqual([
      '/since',
      '/until',
    ]);
    const yearZero = Buffer.from(JSON.stringify({ a: '0000-01-01T00:00:00.000000Z', i: `int_${'a'.repeat(24)}` }));
    expect(issuesOf({ cursor: yearZero.toString('base64url') })).toEqual(['/cursor']);
    expect(issuesOf({ limit: '200' })).toEqual([]);
    expect(issuesOf({ limit: '1' })).toEqual([]);
  });
});
