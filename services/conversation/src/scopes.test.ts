import { describe, expect, it } from 'vitest';
import { grants, isAdminGrant, routeScope, Scopes } from './scopes.js';

describe('grants', () => {
  it('grants a scope to keys holding it, admin or *', () => {
    expect(grants(['conversations'], Scopes.Conversations)).toBe(true);
    expect(grants(['admin'], Scopes.Conversations)).toBe(true);
    expect(grants(['*'], Scopes.Admin)).toBe(true);
    expect(grants(['conversations'], Scopes.AgentsWrite)).toBe(false);
    expect(grants(['agents:write', 'read'], Scopes.Admin)).toBe(false);
  });

  it('lets every known scope read, but not an unknown one nor none', () => {
    for (const s of ['agents:write', 'conversations', 'read']) expect(grants([s], Scopes.Read), s).toBe(true);
    expect(grants(['billing'], Scopes.Read)).toBe(false);
    expect(grants([], Scopes.Read)).toBe(false);
  });

  it('knows admin keys', () => {
    expect(isAdminGrant(['read', 'admin'])).toBe(true);
    expect(isAdminGrant(['*'])).toBe(true);
    expect(isAdminGrant(['agents:write', 'conversations', 'read'])).toBe(false);
  });
});

describe('routeScope', () => {
  it('prefers the route config, then the table (HEAD as GET), else admin, undeclared', () => {
    expect(routeScope('GET', '/v1/agents', { scope: Scopes.Conversations })).toEqual({
      scope: 'conversations',
      declared: true,
    });
    expect(routeScope('PUT', '/v1/agents/:name', undefined)).toEqual({ scope: 'agents:write', declared: true });
    expect(routeScope('HEAD', '/v1/runs/:id', {})).toEqual({ scope: 'read', declared: true });
    expect(routeScope('POST', '/v1/something-new', {})).toEqual({ scope: 'admin', declared: false });
  });
});
