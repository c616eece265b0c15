/**
 * Checks recorded HTTP requests against a provider's published OpenAPI 3.0 description: finds
 * the operation (method + path template), then validates path, query and header parameters,
 * the security requirement and the body (JSON, or form-encoded fields decoded and coerced to
 * the schema's types) with ajv. The result is a list of precise {@link Problem}s.
 *
 * The published descriptions have quirks (see the specs README); they are handled by
 * {@link SpecQuirks} passed at load time, not by editing the documents.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/** A JSON Schema / OpenAPI schema object (loosely typed: the documents are data). */
export type Schema = { [key: string]: unknown };

/** A request as a sandbox recorded it (Cal.com and Twilio sandboxes record this shape). */
export interface RecordedHttpRequest {
  method: string;
  /** The path; a `?query` on it is read when `query` is absent. */
  path: string;
  /** Decoded query parameters, repeated ones as arrays. */
  query?: Record<string, string | string[]>;
  /** Request headers (any case). */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text; empty or absent for none. */
  body?: string;
}

/** Where in the request a problem is. */
export const ProblemLocations = {
  Operation: 'operation',
  Path: 'path',
  Query: 'query',
  Header: 'header',
  Security: 'security',
  Body: 'body',
} as const;
export type ProblemLocation = (typeof ProblemLocations)[keyof typeof ProblemLocations];

/** One way a request departs from the description. */
export interface Problem {
  /** `METHOD /path` of the request. */
  request: string;
  /** The matched operation (`operationId`, else `METHOD template`). */
  operation?: string;
  in: ProblemLocation;
  /** Parameter name, header name, or dotted path in the body (`attendee.email`). */
  field?: string;
  message: string;
}

/** Adjustments for a description's known quirks. */
export interface SpecQuirks {
  /**
   * Validate `oneOf` as `anyOf`: Cal.com's request unions have overlapping members (a plain
   * booking matches both the single and the recurring input), so `oneOf` rejects valid bodies.
   */
  oneOfAsAnyOf?: boolean;
  /** Schemas for parameters the description leaves empty, by `operationId`, then parameter name. */
  parameterSchemas?: Record<string, Record<string, Schema>>;
  /**
   * The description declares no security scheme but its parameter descriptions require
   * `Authorization: Bearer <token>` (Cal.com): checked as a bearer requirement.
   */
  bearerAuthorization?: boolean;
  /** Constraints the description only states in prose, applied to the document once loaded. */
  patchDocument?: (document: Schema) => void;
}

/** Options of {@link loadSpec}. */
export interface SpecOptions {
  quirks?: SpecQuirks;
  /**
   * Report object members the schema does not declare (default true). The descriptions leave
   * `additionalProperties` open, but a member the provider does not know is a typo or a field
   * it silently drops, so it is reported.
   */
  rejectUndeclared?: boolean;
}

/** A loaded description, ready to check requests. */
export interface OpenApiSpec {
  /** Title and version from `info`, for messages. */
  title: string;
  document: Schema;
  options: Required<Pick<SpecOptions, 'rejectUndeclared'>> & { quirks: SpecQuirks };
  templates: PathTemplate[];
  ajv: Ajv;
  compiled: Map<string, ValidateFunction>;
}

/** One path of the description as a matcher. */
export interface PathTemplate {
  template: string;
  regex: RegExp;
  names: string[];
  /** Literal characters: the most specific template wins when several match. */
  specificity: number;
  item: Schema;
}

/** The operation a request maps to. */
export interface MatchedOperation {
  template: string;
  method: string;
  operation: Schema;
  pathItem: Schema;
  /** Path parameter values, percent-decoded. */
  pathParams: Record<string, string>;
  /** `operationId`, else `METHOD template`. */
  id: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Loads a description from a file (see {@link createSpec}). */
export function loadSpec(file: string, options: SpecOptions = {}): OpenApiSpec {
  return createSpec(JSON.parse(readFileSync(file, 'utf8')) as Schema, options);
}

/** Prepares a description (already parsed) for {@link validateRequest}. */
export function createSpec(document: Schema, options: SpecOptions = {}): OpenApiSpec {
  const quirks = options.quirks ?? {};
  quirks.patchDocument?.(document);
  const info = (document.info ?? {}) as Schema;
  const basePaths = serverBasePaths(document.servers);
  const templates: PathTemplate[] = [];
  for (const [template, item] of Object.entries((document.paths ?? {}) as Record<string, Schema>)) {
    for (const base of basePaths) templates.push(compileTemplate(`${base}${template}`, template, item));
  }
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  ajvFormats.default(ajv);
  for (const [name, format] of Object.entries(EXTRA_FORMATS)) ajv.addFormat(name, format);
  return {
    title: `${String(info.title ?? 'API')} ${String(info.version ?? '')}`.trim(),
    document,
    options: { rejectUndeclared: options.rejectUndeclared ?? true, quirks },
    templates,
    ajv,
    compiled: new Map(),
  };
}

function serverBasePaths(servers: unknown): string[] {
  const out = new Set<string>(['']);
  if (Array.isArray(servers)) {
    for (const server of servers) {
      const url = (server as Schema)?.url;
      if (typeof url !== 'string') continue;
      try {
        out.add(new URL(url, 'http://placeholder').pathname.replace(/\/+$/, ''));
      } catch {
        // A templated server URL: its path cannot be known, so only '' applies.
      }
    }
  }
  return [...out];
}

function compileTemplate(full: string, template: string, item: Schema): PathTemplate {
  const names: string[] = [];
  let source = '';
  let specificity = 0;
  for (const piece of full.split(/(\{[^}]+\})/)) {
    const param = /^\{([^}]+)\}$/.exec(piece);
    if (param?.[1]) {
      names.push(param[1]);
      source += '([^/]+)';
    } else {
      specificity += piece.length;
      source += piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return { template, regex: new RegExp(`^${source}$`), names, specificity, item };
}

/**
 * Finds the operation for a method and path (a query on the path is ignored). When several
 * templates match, the one with the most literal characters wins (`/bookings/by-seat/{x}`
 * over `/bookings/{uid}/{x}`). Returns a reason instead when nothing matches.
 */
export function findOperation(spec: OpenApiSpec, method: string, path: string): MatchedOperation | { reason: string } {
  const bare = path.split('?')[0] ?? path;
  const lower = method.toLowerCase();
  if (!(METHODS as readonly string[]).includes(lower))
    return { reason: `${method} is not an OpenAPI operation method` };
  const candidates = spec.templates
    .map((t) => ({ t, m: t.regex.exec(bare) }))
    .filter((c): c is { t: PathTemplate; m: RegExpExecArray } => c.m !== null)
    .sort((a, b) => b.t.specificity - a.t.specificity);
  if (candidates.length === 0) return { reason: `no path of ${spec.title} matches ${bare}` };
  const withMethod = candidates.find((c) => isObject(c.t.item[lower]));
  if (!withMethod) {
    return { reason: `${candidates[0]?.t.template} has no ${method.toUpperCase()} operation` };
  }
  const { t, m } = withMethod;
  const operation = t.item[lower] as Schema;
  const pathParams: Record<string, string> = {};
  t.names.forEach((name, i) => {
    pathParams[name] = safeDecode(m[i + 1] ?? '');
  });
  const id =
    typeof operation.operationId === 'string' ? operation.operationId : `${method.toUpperCase()} ${t.template}`;
  return { template: t.template, method: lower, operation, pathItem: t.item, pathParams, id };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Resolves a local JSON pointer (`#/components/schemas/X`) in the document. */
export function resolvePointer(document: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = document;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * A deep copy of `node` with every `$ref` replaced by what it points to. A reference met again
 * while it is being resolved (a recursive schema) becomes `{}` (anything) at that depth, so
 * cycles end; siblings of `$ref` are kept (merged under `allOf`).
 */
export function resolveRefs(node: unknown, document: Schema, resolving: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, document, resolving));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const { $ref: _, ...siblings } = node;
    if (resolving.includes(ref)) return { 'x-cycle': ref };
    const target = resolvePointer(document, ref);
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    const resolved = resolveRefs(target, document, [...resolving, ref]);
    const rest = resolveRefs(siblings, document, resolving) as Schema;
    return Object.keys(rest).length === 0
      ? resolved
      : { ...rest, allOf: [resolved, ...((rest.allOf as unknown[]) ?? [])] };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = resolveRefs(value, document, resolving);
  return out;
}

/**
 * Turns a resolved OpenAPI 3.0 schema into JSON Schema ajv validates as intended: `nullable`
 * into a `null` type, boolean `exclusiveMinimum/Maximum` into numbers, `oneOf` into `anyOf`
 * (quirk), formats Twilio marks `ignoreFormat` dropped, and (optionally) objects closed: an
 * object with `properties` and no `additionalProperties` gets `additionalProperties: false`;
 * under a several-member `allOf` the parent is closed over the union of the members' names.
 */
export function toJsonSchema(schema: unknown, options: { oneOfAsAnyOf: boolean; close: boolean }): unknown {
  return normalise(schema, options, false);
}

function normalise(node: unknown, options: { oneOfAsAnyOf: boolean; close: boolean }, open: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => normalise(n, options, open));
  if (!isObject(node)) return node;
  const out: Schema = {};
  const multiAllOf = Array.isArray(node.allOf) && node.allOf.length > 1;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isObject(value)) {
      const props: Schema = {};
      for (const [name, sub] of Object.entries(value)) props[name] = normalise(sub, options, false);
      out.properties = props;
    } else if (key === 'allOf' && Array.isArray(value)) {
      out.allOf = value.map((n) => normalise(n, options, multiAllOf || open));
    } else if (key === 'oneOf' && options.oneOfAsAnyOf) {
      out.anyOf = normalise(value, options, open);
    } else if (key === 'nullable' || key === 'discriminator' || key === 'example' || key === 'examples') {
      // handled below / documentation only
    } else if (key === 'x-twilio' && isObject(value) && value.ignoreFormat === true) {
      // Twilio marks formats its servers do not enforce.
    } else {
      out[key] = isObject(value) || Array.isArray(value) ? normalise(value, options, false) : value;
    }
  }
  if (isObject(node['x-twilio']) && node['x-twilio'].ignoreFormat === true) delete out.format;
  for (const bound of ['Minimum', 'Maximum'] as const) {
    const exclusive = out[`exclusive${bound}`];
    const limit = out[bound.toLowerCase()];
    if (typeof exclusive === 'boolean') {
      delete out[`exclusive${bound}`];
      if (exclusive && typeof limit === 'number') {
        out[`exclusive${bound}`] = limit;
        delete out[bound.toLowerCase()];
      }
    }
  }
  if (options.close && !open && out.additionalProperties === undefined && out.patternProperties === undefined) {
    if (multiAllOf) {
      // Members stay open (each sees only its own names); the parent is closed over all of them.
      const names = new Set<string>();
      collectPropertyNames(out, names);
      if (names.size > 0) {
        const own = isObject(out.properties) ? out.properties : {};
        out.properties = { ...Object.fromEntries([...names].map((n) => [n, true])), ...own };
        out.additionalProperties = false;
      }
    } else if (isObject(out.properties)) {
      out.additionalProperties = false;
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

function collectPropertyNames(node: Schema, names: Set<string>): void {
  if (isObject(node.properties)) for (const name of Object.keys(node.properties)) names.add(name);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const members = node[key];
    if (Array.isArray(members)) for (const m of members) if (isObject(m)) collectPropertyNames(m, names);
  }
}

/** Checks one request; an empty list means it conforms. */
export function validateRequest(spec: OpenApiSpec, request: RecordedHttpRequest): Problem[] {
  const bare = request.path.split('?')[0] ?? request.path;
  const label = `${request.method.toUpperCase()} ${bare}`;
  const found = findOperation(spec, request.method, request.path);
  if ('reason' in found) return [{ request: label, in: ProblemLocations.Operation, message: found.reason }];
  const problems: Problem[] = [];
  const add = (p: Omit<Problem, 'request' | 'operation'>) =>
    problems.push({ request: label, operation: found.id, ...p });
  const headers = lowerHeaders(request.headers);
  const query = request.query ?? queryOf(request.path);
  const params = parametersOf(spec, found);

  for (const param of params) {
    const name = String(param.name);
    const where = String(param.in);
    const schema = parameterSchema(spec, found, param);
    const required = param.required === true || where === 'path';
    let raw: string | string[] | undefined;
    if (where === 'path') raw = found.pathParams[name];
    else if (where === 'query') raw = query[name];
    else if (where === 'header') raw = headers[name.toLowerCase()];
    else continue;
    const location =
      where === 'path' ? ProblemLocations.Path : where === 'query' ? ProblemLocations.Query : ProblemLocations.Header;
    if (raw === undefined || raw === '') {
      if (required) add({ in: location, field: name, message: `required ${where} parameter '${name}' is missing` });
      continue;
    }
    const value = coerce(raw, schema, param);
    for (const message of check(spec, `${found.id}|${where}|${name}`, schema, value)) {
      add({ in: location, field: name, message: message.text });
    }
  }
  if (spec.options.rejectUndeclared) {
    const declared = new Set(params.filter((p) => p.in === 'query').map((p) => String(p.name)));
    for (const name of Object.keys(query)) {
      if (!declared.has(name))
        add({ in: ProblemLocations.Query, field: name, message: `query parameter '${name}' is not declared` });
    }
  }
  for (const problem of checkSecurity(spec, found, headers)) add(problem);
  for (const problem of checkBody(spec, found, request, headers)) add(problem);
  return problems;
}

/** The parameters of an operation: path-level ones overridden by the operation's (by name + in). */
function parametersOf(spec: OpenApiSpec, found: MatchedOperation): Schema[] {
  const byKey = new Map<string, Schema>();
  for (const list of [found.pathItem.parameters, found.operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      const param = resolveRefs(p, spec.document) as Schema;
      byKey.set(`${String(param.in)}:${String(param.name).toLowerCase()}`, param);
    }
  }
  return [...byKey.values()];
}

/**
 * The schema a parameter's value is checked with: the quirk override when there is one, the
 * published schema otherwise; a header described as "Must be set to X" (Cal.com's
 * `cal-api-version`, whose schema only has a default) must equal X.
 */
function parameterSchema(spec: OpenApiSpec, found: MatchedOperation, param: Schema): Schema {
  const override = spec.options.quirks.parameterSchemas?.[found.id]?.[String(param.name)];
  if (override) return override;
  const schema = isObject(param.schema) ? { ...param.schema } : {};
  if (param.in === 'header' && schema.enum === undefined && schema.const === undefined) {
    const fixed = /must be set to `?([\w.:/-]+)`?/i.exec(String(param.description ?? ''));
    if (fixed?.[1]) schema.const = fixed[1];
  }
  return schema;
}

/** Coerces text (query, path, header or form values) to the schema's type, so ajv judges the value. */
export function coerce(raw: string | string[], schema: Schema, param?: Schema): unknown {
  const type = typeOf(schema);
  if (type === 'array') {
    const items = isObject(schema.items) ? schema.items : {};
    let list = Array.isArray(raw) ? raw : [raw];
    // Comma-separated lists (`style: form, explode: false`, and Cal.com's documented `a,b`).
    if (list.length === 1 && param?.explode !== true) list = (list[0] ?? '').split(',');
    return list.map((v) => coerceScalar(v, items));
  }
  if (Array.isArray(raw))
    return raw.length === 1 ? coerceScalar(raw[0] ?? '', schema) : raw.map((v) => coerceScalar(v, schema));
  return coerceScalar(raw, schema);
}

function coerceScalar(raw: string, schema: Schema): unknown {
  const type = typeOf(schema);
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') as string | undefined;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const members = schema[key];
    if (Array.isArray(members)) {
      for (const m of members) {
        const t = isObject(m) ? typeOf(m) : undefined;
        if (t) return t;
      }
    }
  }
  return undefined;
}

function checkSecurity(
  spec: OpenApiSpec,
  found: MatchedOperation,
  headers: Record<string, string>,
): Omit<Problem, 'request' | 'operation'>[] {
  const auth = headers.authorization;
  if (spec.options.quirks.bearerAuthorization) {
    if (!auth || !/^Bearer \S+$/.test(auth)) {
      return [
        {
          in: ProblemLocations.Security,
          field: 'Authorization',
          message: `expected 'Bearer <token>' (got ${show(redact(auth))})`,
        },
      ];
    }
    return [];
  }
  const requirements = (found.operation.security ?? spec.document.security) as Schema[] | undefined;
  if (!Array.isArray(requirements) || requirements.length === 0) return [];
  const schemes = ((spec.document.components as Schema | undefined)?.securitySchemes ?? {}) as Record<string, Schema>;
  const failures: string[] = [];
  for (const requirement of requirements) {
    const names = Object.keys(requirement);
    if (names.length === 0) return [];
    const missing = names.map((n) => schemeProblem(schemes[n], n, headers)).filter((m): m is string => m !== undefined);
    if (missing.length === 0) return [];
    failures.push(missing.join(' and '));
  }
  return [{ in: ProblemLocations.Security, field: 'Authorization', message: failures.join('; or ') }];
}

function schemeProblem(scheme: Schema | undefined, name: string, headers: Record<string, string>): string | undefined {
  if (!scheme) return `security scheme '${name}' is not defined`;
  const auth = headers.authorization;
  if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') {
    const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(auth ?? '');
    const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    return decoded.includes(':')
      ? undefined
      : `'${name}' needs 'Authorization: Basic base64(user:password)' (got ${show(redact(auth))})`;
  }
  if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') {
    return /^Bearer \S+$/.test(auth ?? '') ? undefined : `'${name}' needs 'Authorization: Bearer <token>'`;
  }
  if (scheme.type === 'apiKey' && scheme.in === 'header') {
    return headers[String(scheme.name).toLowerCase()]
      ? undefined
      : `'${name}' needs the header '${String(scheme.name)}'`;
  }
  return undefined;
}

function checkBody(
  spec: OpenApiSpec,
  found: MatchedOperation,
  request: RecordedHttpRequest,
  headers: Record<string, string>,
): Omit<Problem, 'request' | 'operation'>[] {
  const text = request.body ?? '';
  const requestBody =
    found.operation.requestBody === undefined
      ? undefined
      : (resolveRefs(found.operation.requestBody, spec.document) as Schema);
  if (!requestBody) {
    return text === '' ? [] : [{ in: ProblemLocations.Body, message: 'the operation takes no body, but one was sent' }];
  }
  if (text === '') {
    return requestBody.required === true
      ? [{ in: ProblemLocations.Body, message: 'the request body is required' }]
      : [];
  }
  const content = (requestBody.content ?? {}) as Record<string, Schema>;
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const key =
    Object.keys(content).find((k) => k.toLowerCase() === mediaType) ??
    Object.keys(content).find((k) => k === '*/*' || (k.endsWith('/*') && mediaType.startsWith(k.slice(0, -1))));
  if (key === undefined) {
    return [
      {
        in: ProblemLocations.Header,
        field: 'content-type',
        message: `content type ${show(mediaType || '(none)')} is not one of ${Object.keys(content).join(', ')}`,
      },
    ];
  }
  const schema = (content[key]?.schema ?? {}) as Schema;
  let value: unknown;
  if (key.includes('json')) {
    try {
      value = JSON.parse(text);
    } catch {
      return [{ in: ProblemLocations.Body, message: 'the body is not valid JSON' }];
    }
  } else if (key === 'application/x-www-form-urlencoded') {
    value = decodeForm(text, schema);
  } else {
    return [];
  }
  const problems = check(spec, `${found.id}|body|${key}`, schema, value).map((m) => ({
    in: ProblemLocations.Body,
    field: m.field,
    message: m.text,
  }));
  if (isObject(value)) {
    for (const message of conditionalProblems(found.operation, schema, value)) {
      problems.push({ in: ProblemLocations.Body, field: undefined, message });
    }
  }
  return problems;
}

/** Decodes a form body into fields, each coerced to its property's type (repeated keys as arrays). */
export function decodeForm(text: string, schema: Schema): Record<string, unknown> {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(text)) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const properties = (isObject(schema.properties) ? schema.properties : {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [name, values] of grouped) {
    const property = properties[name] ?? {};
    // A repeated key is a list whatever the schema says; ajv then reports a non-array field.
    out[name] = coerce(values.length === 1 ? (values[0] ?? '') : values, property, { explode: true });
  }
  return out;
}

/**
 * Twilio's `x-twilio.conditional` groups (snake_case names of form fields): at least one
 * member of each group must be present — plain JSON Schema in the description cannot say it.
 */
function conditionalProblems(operation: Schema, schema: Schema, value: Record<string, unknown>): string[] {
  const groups = isObject(operation['x-twilio']) ? operation['x-twilio'].conditional : undefined;
  if (!Array.isArray(groups)) return [];
  const properties = Object.keys(isObject(schema.properties) ? schema.properties : {});
  const fieldOf = (snake: string) =>
    properties.find((p) => p.toLowerCase() === snake.replace(/_/g, '').toLowerCase()) ?? snake;
  const out: string[] = [];
  for (const group of groups) {
    if (!Array.isArray(group)) continue;
    const fields = group.map((g) => fieldOf(String(g)));
    if (!fields.some((f) => value[f] !== undefined && value[f] !== '')) {
      out.push(`one of ${fields.join(', ')} is required (x-twilio.conditional)`);
    }
  }
  return out;
}

interface CheckMessage {
  field?: string;
  text: string;
}

function check(spec: OpenApiSpec, key: string, schema: Schema, value: unknown): CheckMessage[] {
  let validate = spec.compiled.get(key);
  if (!validate) {
    const resolved = resolveRefs(schema, spec.document);
    const json = toJsonSchema(resolved, {
      oneOfAsAnyOf: spec.options.quirks.oneOfAsAnyOf === true,
      close: spec.options.rejectUndeclared,
    });
    validate = spec.ajv.compile(json as Schema);
    spec.compiled.set(key, validate);
  }
  if (validate(value)) return [];
  // A bad member name yields the name's own error and a `propertyNames` wrapper: keep the first.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames');
  return closestErrors(errors).map((e) => describeError(e, value));
}

/**
 * Keeps, for every failed `anyOf`, only the errors of its closest member (fewest errors): the
 * other members' complaints ("must have recurrenceCount") describe requests nobody sent.
 */
export function closestErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  let kept = [...errors];
  const unions = kept
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!kept.includes(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const byMember = new Map<string, ErrorObject[]>();
    for (const e of kept) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const member = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      byMember.set(member, [...(byMember.get(member) ?? []), e]);
    }
    if (byMember.size === 0) continue;
    // A member that does not even declare a sent property is a worse guess than one that
    // merely finds it mistyped, so undeclared-property errors weigh double.
    const weight = (list: ErrorObject[]) =>
      list.reduce((n, e) => n + (e.keyword === 'additionalProperties' ? 2 : 1), 0);
    const best = [...byMember.values()].sort((a, b) => weight(a) - weight(b))[0] ?? [];
    kept = kept.filter((e) => e !== union && (!e.schemaPath.startsWith(prefix) || best.includes(e)));
  }
  return kept;
}

function describeError(error: ErrorObject, root: unknown): CheckMessage {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  const at = (extra?: string) => [...segments, ...(extra === undefined ? [] : [extra])].join('.') || undefined;
  const found = valueAt(root, segments);
  if (error.propertyName !== undefined) {
    return { field: at(error.propertyName), text: `the member name ${error.message ?? 'is invalid'}` };
  }
  switch (error.keyword) {
    case 'required':
      return { field: at(String(params.missingProperty)), text: 'is required' };
    case 'additionalProperties':
      return { field: at(String(params.additionalProperty)), text: 'is not declared in the published schema' };
    case 'enum':
      return {
        field: at(),
        text: `must be one of ${(params.allowedValues as unknown[]).map((v) => show(v)).join(', ')} (got ${show(found)})`,
      };
    case 'const':
      return { field: at(), text: `must be ${show(params.allowedValue)} (got ${show(found)})` };
    case 'type':
      return { field: at(), text: `must be ${String(params.type)} (got ${show(found)})` };
    case 'format': {
      const why = params.format === 'twiml' && typeof found === 'string' ? `: ${twimlProblem(found)}` : '';
      return { field: at(), text: `must be a valid ${String(params.format)}${why} (got ${show(found)})` };
    }
    case 'anyOf':
    case 'oneOf':
      return { field: at(), text: `matches none of the alternatives (got ${show(found)})` };
    default:
      return { field: at(), text: `${error.message ?? error.keyword} (got ${show(found)})` };
  }
}

function valueAt(root: unknown, segments: string[]): unknown {
  let node = root;
  for (const s of segments)
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[s] : undefined;
  return node;
}

/** Formats problems one per line, for assertion messages. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((p) => `${p.request} [${p.operation ?? '?'}] ${p.in}${p.field ? ` '${p.field}'` : ''}: ${p.message}`)
    .join('\n');
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function redact(auth: string | undefined): string | undefined {
  return auth === undefined ? undefined : auth.replace(/^(\w+\s+).+$/, '$1…');
}

function lowerHeaders(headers: RecordedHttpRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function queryOf(path: string): Record<string, string | string[]> {
  const i = path.indexOf('?');
  const out: Record<string, string | string[]> = {};
  if (i < 0) return out;
  for (const [k, v] of new URLSearchParams(path.slice(i + 1))) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Formats the descriptions use beyond ajv-formats'. Unknown ones pass (they are documentation). */
const EXTRA_FORMATS: Record<string, RegExp | ((value: string) => boolean) | true> = {
  // E.164, a channel address (`whatsapp:+1…`), a short code or an alphanumeric sender id.
  'phone-number': (v) =>
    /^\+[1-9]\d{1,14}$/.test(v) ||
    /^[a-z][a-z0-9-]*:\S+$/.test(v) ||
    /^\d{3,8}$/.test(v) ||
    /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(v),
  // Participant endpoints: a phone number, `client:`, `sip:` or another scheme-qualified address.
  endpoint: (v) => /^\+[1-9]\d{1,14}$/.test(v) || /^[a-z][a-z0-9-]*:\S+$/.test(v),
  twiml: (v) => twimlProblem(v) === undefined,
  'http-method': /^(GET|POST)$/,
  'iana-time-zone': (v) => isTimeZone(v),
  'date-time-rfc-2822': true,
  'uri-map': true,
  'iso-country-code': /^[A-Z]{2}$/,
  currency: true,
  'phone-number-capabilities': true,
  'ice-server': true,
  int32: true,
  int64: true,
};

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return /^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone);
  } catch {
    return false;
  }
}

/**
 * Why a TwiML document is not well-formed, or `undefined`: one `<Response>` root, balanced
 * tags, quoted attributes, and no bare `&` or `<` in text.
 */
export function twimlProblem(xml: string): string | undefined {
  const body = xml.trim().replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let root: string | undefined;
  let last = 0;
  const tag = /<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    last = tag.lastIndex;
    if (/[<>]/.test(text)) return `malformed markup near ${show(text.slice(0, 30))}`;
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) return `a bare '&' in text (write &amp;)`;
    if (stack.length === 0 && text.trim() !== '') return 'text outside the <Response> element';
    if (m[0].startsWith('<!--')) continue;
    const [, closing, name = '', , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> does not close the open element`;
      continue;
    }
    if (stack.length === 0) {
      if (root !== undefined) return 'more than one root element';
      root = name;
    }
    if (!selfClosing) stack.push(name);
  }
  const rest = body.slice(last);
  if (rest.trim() !== '') return `text or markup after the root element: ${show(rest.slice(0, 30))}`;
  if (stack.length > 0) return `<${stack[stack.length - 1]}> is not closed`;
  if (root !== 'Response')
    return `the root element must be <Response>, got ${root === undefined ? 'none' : `<${root}>`}`;
  return undefined;
}
