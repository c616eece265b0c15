import { describe, expect, it } from 'vitest';
import { UserContextLimits, userContextIssues, userFromCall } from './user-context.js';

describe('userContextIssues', () => {
  it('accepts a full user context', () => {
    expect(
      userContextIssues(
        {
          id: 'u_1',
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          phone: '+14155550123',
          locale: 'fr-FR',
          time_zone: 'Europe/Paris',
          attributes: { tier: 'gold', visits: 3, tags: ['a'] },
        },
        '/user',
      ),
    ).toEqual([]);
    expect(userContextIssues({}, '/user')).toEqual([]);
  });

  it('names every problem with its pointer', () => {
    const issues = userContextIssues(
      {
        id: '',
        email: 'not-an-email',
        phone: '0612345678',
        locale: 'not a locale!',
        time_zone: 'Mars/Olympus',
        attributes: { 'bad-name': 1, ok: 2 },
        nickname: 'x',
      },
      '/user',
    );
    expect(issues.map((i) => i.pointer)).toEqual([
      '/user/id',
      '/user/email',
      '/user/phone',
      '/user/locale',
      '/user/time_zone',
      '/user/nickname',
      '/user/attributes/bad-name',
    ]);
    expect(issues.find((i) => i.pointer === '/user/time_zone')?.message).toContain('IANA');
    expect(userContextIssues([], '/user')).toEqual([expect.objectContaining({ pointer: '/user' })]);
    expect(userContextIssues({ attributes: [] }, '/user')[0]?.pointer).toBe('/user/attributes');
  });

  it('bounds the size and the number of attributes', () => {
    const many = Object.fromEntries(
      Array.from({ length: UserContextLimits.maxAttributes + 1 }, (_, i) => [`a${i}`, i]),
    );
    expect(userContextIssues({ attributes: many }, '/user')).toEqual([
      expect.objectContaining({ pointer: '/user/attributes', message: expect.stringContaining('at most 64') }),
    ]);
    const big = userContextIssues({ attributes: { blob: 'x'.repeat(UserContextLimits.maxBytes) } }, '/user');
    expect(big).toEqual([expect.objectContaining({ pointer: '/user', message: expect.stringContaining('bytes') })]);
  });
});

describe('userFromCall', () => {
  it('reads user_* variables, overlaid by the metadata user field by field', () => {
    const { user, issues } = userFromCall({
      variables: { user_id: 42, user_name: 'Var', user_locale: 'en-GB', other: 'x', user_attributes: 'ignored' },
      variablesPointer: '/v',
      metadataUser: { name: 'Meta', attributes: { tier: 'gold' } },
      metadataPointer: '/m/user',
    });
    expect(issues).toEqual([]);
    expect(user).toEqual({ id: '42', name: 'Meta', locale: 'en-GB', attributes: { tier: 'gold' } });
  });

  it('points at the variable or the metadata field that is wrong', () => {
    const { issues } = userFromCall({
      variables: { user_email: 'nope' },
      variablesPointer: '/message/call/assistantOverrides/variableValues',
      metadataUser: { time_zone: 'Nowhere/Land' },
      metadataPointer: '/message/call/metadata/user',
    });
    expect(issues.map((i) => i.pointer)).toEqual([
      '/message/call/assistantOverrides/variableValues/user_email',
      '/message/call/metadata/user/time_zone',
    ]);
  });

  it('is empty without either', () => {
    expect(userFromCall({ variablesPointer: '/v', metadataPointer: '/m' })).toEqual({ user: {}, issues: [] });
  });
});
