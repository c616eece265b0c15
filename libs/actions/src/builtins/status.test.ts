import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ActionReference, type ActionStatusContext, ActionStatuses, actionStatus } from './status.js';

const example = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../schemas/builtin-examples/${file}`, import.meta.url), 'utf8'));

const tenant = (credentials: string[] = [], endpoints: string[] = [], check?: ActionStatusContext['check']) => ({
  credentials: new Set(credentials),
  endpoints: new Set(endpoints),
  ...(check === undefined ? {} : { check }),
});

describe('ActionStatuses', () => {
  it('names the three statuses of the dashboard', () => {
    expect(ActionStatuses).toEqual({ Configured: 'configured', Incomplete: 'incomplete', Error: 'error' });
  });
});

describe('actionStatus of built-ins', () => {
  it('Configured: valid, every credential and endpoint exists, and the checks pass', async () => {
    const checked: ActionReference[] = [];
    const report = await actionStatus(
      { kind: 'builtin', source: example('lookup_company_data.builtin.json') },
      tenant(['enrichment_key'], ['enrichment_api'], async (ref) => {
        checked.push(ref);
        return { ok: true };
      }),
    );
    expect(report).toEqual({ status: 'configured', problems: [] });
    expect(checked).toEqual([
      { type: 'endpoint', name: 'enrichment_api', pointer: '/config/endpoint' },
      { type: 'credential', name: 'enrichment_key', pointer: '/config/auth/credential', provider: 'http' },
    ]);
  });

  it('Configured without any reference (end call)', async () => {
    expect(
      await actionStatus({ kind: 'builtin', source: example('end_call_politely.builtin.json') }, tenant()),
    ).toEqual({
      status: 'configured',
      problems: [],
    });
  });

  it('Incomplete: the referenced credential does not exist (and is not checked)', async () => {
    let calls = 0;
    const report = await actionStatus(
      { kind: 'builtin', source: example('book_consultation.builtin.json') },
      tenant(['hubspot_main'], [], async () => {
        calls += 1;
        return { ok: true };
      }),
    );
    expect(report).toEqual({
      status: 'incomplete',
      problems: [
        {
          pointer: '/config/credential',
          message: "Cal.com credential 'calcom_main' is not configured — add it in Settings > Credentials",
        },
      ],
    });
    expect(calls).toBe(0);
  });

  it('Incomplete: the endpoint of a custom API does not exist', async () => {
    const report = await actionStatus(
      { kind: 'builtin', source: example('lookup_company_data.builtin.json') },
      tenant(['enrichment_key'], ['other_api']),
    );
    expect(report).toEqual({
      status: 'incomplete',
      problems: [
        {
          pointer: '/config/endpoint',
          message: "webhook endpoint 'enrichment_api' is not configured — add it in Settings > Webhook Endpoints",
        },
      ],
    });
  });

  it('Incomplete: required settings are missing (the form was saved half-filled)', async () => {
    const report = await actionStatus(
      {
        kind: 'builtin',
        source: {
          type: 'calcom_book',
          name: 'Book Consultation',
          description: '',
          config: { credential: 'calcom_main' },
        },
      },
      tenant(['calcom_main']),
    );
    expect(report).toEqual({
      status: 'incomplete',
      problems: [
        {
          pointer: '/description',
          message: "a built-in action needs a 'description' (the LLM uses it to decide when to act)",
        },
        { pointer: '/config/event_type_id', message: "missing required setting 'event_type_id' (Event type id)" },
      ],
    });
  });

  it('Incomplete: a sender is missing and the credential too', async () => {
    const report = await actionStatus(
      {
        kind: 'builtin',
        source: {
          type: 'send_sms',
          name: 'SMS',
          description: 'Texts the caller.',
          config: { credential: 'twilio_main' },
        },
      },
      tenant(),
    );
    expect(report.status).toBe('incomplete');
    expect(report.problems.map((p) => p.pointer)).toEqual(['/config/from', '/config/credential']);
  });

  it('Error: the configuration is invalid (all issues listed, missing ones included)', async () => {
    const report = await actionStatus(
      {
        kind: 'builtin',
        source: { type: 'transfer_call', name: 'Transfer', description: '', config: { destination: '5551234567' } },
      },
      tenant(),
    );
    expect(report).toEqual({
      status: 'error',
      problems: [
        {
          pointer: '/description',
          message: "a built-in action needs a 'description' (the LLM uses it to decide when to act)",
        },
        {
          pointer: '/config/destination',
          message: '"5551234567" is not a valid E.164 number: an E.164 number starts with \'+\' and the country code',
        },
      ],
    });
  });

  it('Error: an inline secret is a configuration error', async () => {
    const report = await actionStatus(
      {
        kind: 'builtin',
        source: {
          type: 'crm_lookup',
          name: 'Lookup',
          description: 'd',
          config: { credential: 'hs', api_key: 'pat-na1-0123' },
        },
      },
      tenant(['hs']),
    );
    expect(report.status).toBe('error');
    expect(report.problems[0]?.pointer).toBe('/config/api_key');
  });

  it('Error: the provider check reports an authentication failure, with its reason', async () => {
    const report = await actionStatus(
      { kind: 'builtin', source: example('check_availability.builtin.json') },
      tenant(['calcom_main'], [], async (ref) =>
        ref.provider === 'calcom' ? { ok: false, reason: '401 Unauthorized: invalid API key' } : { ok: true },
      ),
    );
    expect(report).toEqual({
      status: 'error',
      problems: [
        {
          pointer: '/config/credential',
          message: "credential 'calcom_main' failed its check: 401 Unauthorized: invalid API key",
        },
      ],
    });
  });

  it('Error: a check that throws is reported, never rethrown', async () => {
    const report = await actionStatus(
      { kind: 'builtin', source: example('send_sms_confirmation.builtin.json') },
      tenant(['twilio_main'], [], async () => {
        throw new Error('connect ECONNREFUSED');
      }),
    );
    expect(report).toEqual({
      status: 'error',
      problems: [
        {
          pointer: '/config/credential',
          message: "credential 'twilio_main' failed its check: the check could not run: connect ECONNREFUSED",
        },
      ],
    });
  });

  it('Error: an authentication failure outweighs a missing endpoint; both are listed', async () => {
    const report = await actionStatus(
      { kind: 'builtin', source: example('create_order.builtin.json') },
      tenant(['orders_token'], [], async () => ({ ok: false, reason: '403 Forbidden' })),
    );
    expect(report.status).toBe('error');
    expect(report.problems).toEqual([
      {
        pointer: '/config/endpoint',
        message: "webhook endpoint 'orders_api' is not configured — add it in Settings > Webhook Endpoints",
      },
      { pointer: '/config/auth/credential', message: "credential 'orders_token' failed its check: 403 Forbidden" },
    ]);
  });
});

describe('actionStatus of declarative tools and typed actions', () => {
  const tool = {
    name: 'save_meal',
    description: 'Log a meal',
    parameters: [{ name: 'meal', type: 'string', required: true }],
    actions: [
      { type: 'webhook', endpoint: 'meal_log', payload: 'params' },
      {
        type: 'conditional',
        condition: 'params.meal === "lunch"',
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
        then: [{ type: 'webhook', endpoint: 'lunch_stats' }],
        else: [{ type: 'webhook', endpoint: 'meal_log' }],
      },
    ],
  };

  it('Configured when every webhook endpoint exists; each endpoint is checked once', async () => {
    const checked: string[] = [];
    const report = await actionStatus(
      { kind: 'tool', source: tool },
      tenant([], ['meal_log', 'lunch_stats'], async (ref) => {
        checked.push(ref.name);
        return { ok: true };
      }),
    );
    expect(report).toEqual({ status: 'configured', problems: [] });
    expect(checked).toEqual(['meal_log', 'lunch_stats']);
  });

  it('Incomplete when a webhook endpoint (even in a branch) does not exist', async () => {
    expect(await actionStatus({ kind: 'tool', source: tool }, tenant([], ['meal_log']))).toEqual({
      status: 'incomplete',
      problems: [
        {
          pointer: '/actions/1/then/0/endpoint',
          message: "webhook endpoint 'lunch_stats' is not configured — add it in Settings > Webhook Endpoints",
        },
      ],
    });
  });

  it('Error for a typed action stored with a tool:// or workflow:// target (it cannot run here)', async () => {
    const report = await actionStatus(
      { kind: 'typed', source: { name: 'lookup', description: 'Looks up', target: 'tool://find_contact' } },
      tenant(),
    );
    expect(report.status).toBe('error');
    expect(report.problems).toEqual([{ pointer: '/target', message: expect.stringContaining('cannot run here') }]);
  });

  it('Incomplete when the description is missing; Error when the tool is invalid', async () => {
    const noDescription = await actionStatus({ kind: 'tool', source: { name: 'save_meal' } }, tenant());
    expect(noDescription.status).toBe('incomplete');
    expect(noDescription.problems.map((p) => p.pointer)).toEqual(['/description']);
    const invalid = await actionStatus(
      { kind: 'tool', source: { ...tool, actions: [{ type: 'webhok', endpoint: 'meal_log' }] } },
      tenant([], ['meal_log', 'lunch_stats']),
    );
    expect(invalid.status).toBe('error');
    expect(invalid.problems[0]).toEqual({
      pointer: '/actions/0/type',
      message: "unknown step type 'webhok' — did you mean 'webhook'?",
    });
  });

  it('typed actions: a webhook:// target needs its endpoint; a missing target is incomplete', async () => {
    const typed = { name: 'log_meal', description: 'Log a meal', target: 'webhook://meal_log' };
    expect(await actionStatus({ kind: 'typed', source: typed }, tenant([], ['meal_log']))).toEqual({
      status: 'configured',
      problems: [],
    });
    expect(await actionStatus({ kind: 'typed', source: typed }, tenant())).toEqual({
      status: 'incomplete',
      problems: [
        {
          pointer: '/target',
          message: "webhook endpoint 'meal_log' is not configured — add it in Settings > Webhook Endpoints",
        },
      ],
    });
    const noTarget = await actionStatus({ kind: 'typed', source: { name: 'log_meal' } }, tenant());
    expect(noTarget.status).toBe('incomplete');
    const invalid = await actionStatus(
      { kind: 'typed', source: { ...typed, name: 'log__meal' } },
      tenant([], ['meal_log']),
    );
    expect(invalid.status).toBe('error');
  });

  it('Error for an unknown kind', async () => {
    const report = await actionStatus({ kind: 'flow' as 'tool', source: {} }, tenant());
    expect(report).toEqual({
      status: 'error',
      problems: [{ pointer: '', message: "unknown action kind 'flow' (expected builtin, tool or typed)" }],
    });
  });
});
