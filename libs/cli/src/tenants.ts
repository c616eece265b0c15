/**
 * `switchboard tenants create NAME | list | disable ID` and `switchboard platform-key`: platform
 * administration through the public API (`/v1/platform`), with a platform key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newPlatformKey } from '@switchboard/common';

/** Where the API is and the key to call it with. */
export interface ApiTarget {
  apiUrl: string;
  apiKey: string;
  /** Where they came from, for messages. */
  source: string;
}

/**
 * The API to call: `SWITCHBOARD_API_URL` and `SWITCHBOARD_API_KEY` when both are set, else
 * `apiUrl` and `platformKey` of the nearest `.switchboard/dev.json` (`npm run dev` writes it) at
 * or above `cwd`. A string saying what is missing otherwise.
 */
export function findApiTarget(env: NodeJS.ProcessEnv, cwd: string): ApiTarget | string {
  const url = env.SWITCHBOARD_API_URL;
  const key = env.SWITCHBOARD_API_KEY;
  if (url && key) return { apiUrl: url.replace(/\/+$/, ''), apiKey: key, source: 'SWITCHBOARD_API_URL/KEY' };
  if (url || key) return 'set both SWITCHBOARD_API_URL and SWITCHBOARD_API_KEY (a platform key, sbp_…), or neither';
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, '.switchboard', 'dev.json');
    if (existsSync(file)) {
      let dev: { apiUrl?: unknown; platformKey?: unknown };
      try {
        dev = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        return `${file} is not valid JSON: ${(err as Error).message}`;
      }
      if (typeof dev.apiUrl !== 'string' || typeof dev.platformKey !== 'string') {
        return `${file} has no apiUrl and platformKey (restart \`npm run dev\` to write them)`;
      }
      return { apiUrl: dev.apiUrl, apiKey: dev.platformKey, source: file };
    }
    if (dirname(dir) === dir) break;
  }
  return 'no API to call: set SWITCHBOARD_API_URL and SWITCHBOARD_API_KEY (a platform key, sbp_…), or run `npm run dev` (it writes .switchboard/dev.json)';
}

interface TenantBody {
  id: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
}

/** What a command prints and its exit code. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '' });
const failed = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr: `switchboard: ${stderr}\n` });

async function call(target: ApiTarget, method: string, path: string, body?: unknown) {
  let res: Response;
  try {
    res = await fetch(`${target.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    return { error: `cannot reach ${target.apiUrl} (from ${target.source}): ${(err as Error).message}` };
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    return { error: `${method} ${path} answered ${res.status} with a body that is not JSON` };
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    return { error: `${method} ${path} answered ${res.status}: ${e?.code ?? 'error'}: ${e?.message ?? text}` };
  }
  return { body: parsed };
}

const line = (t: TenantBody) =>
  `${t.id}\t${t.disabledAt === null ? 'active' : `disabled ${t.disabledAt}`}\t${t.createdAt}\t${t.name}\n`;

/** Runs `tenants …` (`args` after the word `tenants`) against `target`. */
export async function tenantsCommand(args: readonly string[], target: ApiTarget): Promise<CommandResult> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const r = await call(target, 'POST', '/v1/platform/tenants', { name: rest.join(' ') });
      if ('error' in r) return failed(r.error as string);
      const { tenant, adminKey } = r.body as { tenant: TenantBody; adminKey: { id: string; key: string } };
      return ok(
        `created tenant ${tenant.id} '${tenant.name}'\nadmin key ${adminKey.id} (shown once, keep it now):\n${adminKey.key}\n`,
      );
    }
    case 'list': {
      const r = await call(target, 'GET', '/v1/platform/tenants');
      if ('error' in r) return failed(r.error as string);
      const { tenants } = r.body as { tenants: TenantBody[] };
      return ok(`id\tstatus\tcreated\tname\n${tenants.map(line).join('')}`);
    }
    case 'disable': {
      const [id] = rest;
      const r = await call(target, 'POST', `/v1/platform/tenants/${encodeURIComponent(id ?? '')}/disable`);
      if ('error' in r) return failed(r.error as string);
      const tenant = r.body as TenantBody;
      return ok(`tenant ${tenant.id} '${tenant.name}' disabled at ${tenant.disabledAt}\n`);
    }
    default:
      return failed(`unknown tenants command '${sub ?? ''}'`);
  }
}

/** `platform-key`: a new platform key and the hash to give the service (`PLATFORM_KEY_HASHES`). */
export function platformKeyCommand(): CommandResult {
  const { key, sha256 } = newPlatformKey();
  return ok(
    `platform key (shown once; give it to the platform admins, store it as a secret):\n${key}\nits hash, for the conversation service's PLATFORM_KEY_HASHES (comma-separate several to rotate):\n${sha256}\n`,
  );
}
