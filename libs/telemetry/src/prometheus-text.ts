/**
 * A strict parser of the Prometheus text exposition format (0.0.4): what the tests and the
 * bench read `GET /metrics` with. Strict where Prometheus is (a family typed twice, samples of
 * a family split apart, a series repeated, a malformed line or label) and for histograms
 * (cumulative buckets, `+Inf` equal to `_count`), so a scrape that parses here scrapes there.
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples (histograms: `_bucket`, `_sum`, `_count`). */
export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: PromSample[];
}

/** A line that is not valid exposition text. */
export class PromParseError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PromParseError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
};

/** Parses an exposition; throws {@link PromParseError} at the first problem. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let open: PromFamily | undefined;
  const familyOf = (name: string, lineNo: number, typed: boolean): PromFamily => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: 'untyped', samples: [] };
      families.set(name, family);
    } else if (family !== open && (finished.has(name) || family.samples.length > 0)) {
      throw new PromParseError(lineNo, `samples or metadata of '${name}' are not together`);
    }
    if (open && open !== family) finished.add(open.name);
    open = family;
    if (typed && family.samples.length > 0) throw new PromParseError(lineNo, `TYPE of '${name}' after its samples`);
    return family;
  };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const parts = line.split(/\s+/);
      if (parts[1] !== 'HELP' && parts[1] !== 'TYPE') return;
      const name = parts[2] ?? '';
      if (!METRIC_NAME.test(name)) throw new PromParseError(lineNo, `bad metric name '${name}'`);
      if (parts[1] === 'TYPE') {
        const type = parts[3] ?? '';
        if (!TYPES.has(type) || parts.length !== 4) throw new PromParseError(lineNo, `bad TYPE line '${line}'`);
        const family = familyOf(name, lineNo, true);
        if (family.type !== 'untyped') throw new PromParseError(lineNo, `second TYPE for '${name}'`);
        family.type = type as PromFamily['type'];
      } else {
        const family = familyOf(name, lineNo, false);
        if (family.help !== undefined) throw new PromParseError(lineNo, `second HELP for '${name}'`);
        family.help = line.slice(line.indexOf(name) + name.length).trim();
      }
      return;
    }
    const sample = parseSample(line, lineNo);
    const family = familyOf(familyName(sample.name, open), lineNo, false);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new PromParseError(lineNo, `series repeated: ${line}`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) checkHistogram(family);
  return families;
}

/** The family a sample belongs to: the open family when the name is one of its suffixed series. */
function familyName(sampleName: string, open: PromFamily | undefined): string {
  if (open) {
    for (const suffix of SUFFIXES[open.type] ?? ['']) if (sampleName === open.name + suffix) return open.name;
  }
  return sampleName;
}

function parseSample(line: string, lineNo: number): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
  if (!m) throw new PromParseError(lineNo, `malformed sample '${line}'`);
  const [, name = '', labelText, valueText = ''] = m;
  const value = parseValue(valueText);
  if (value === undefined) throw new PromParseError(lineNo, `bad value '${valueText}'`);
  return { name, labels: labelText ? parseLabels(labelText.slice(1, -1), lineNo) : {}, value };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function parseLabels(text: string, lineNo: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new PromParseError(lineNo, `label without value in '{${text}}'`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new PromParseError(lineNo, `bad label name '${name}'`);
    if (name in labels) throw new PromParseError(lineNo, `label '${name}' repeated`);
    if (text[eq + 1] !== '"') throw new PromParseError(lineNo, `label '${name}' value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new PromParseError(lineNo, `label '${name}' value not closed`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new PromParseError(lineNo, `bad escape in label '${name}'`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new PromParseError(lineNo, `expected ',' after label '${name}'`);
      i += 1;
    }
  }
  return labels;
}

/** Each histogram series: buckets ascending and cumulative, `+Inf` = `_count`, a `_sum`. */
function checkHistogram(family: PromFamily): void {
  if (family.type !== 'histogram') return;
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) {
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined) throw new Error(`${family.name}: bucket without a valid le`);
      entry.buckets.push([bound, s.value]);
    } else if (s.name.endsWith('_count')) entry.count = s.value;
    else entry.sum = s.value;
  }
  for (const [key, entry] of series) {
    const where = `${family.name}${key}`;
    if (entry.count === undefined || entry.sum === undefined) throw new Error(`${where}: _count or _sum missing`);
    let previous: [number, number] = [Number.NEGATIVE_INFINITY, 0];
    for (const bucket of entry.buckets) {
      if (bucket[0] <= previous[0] || bucket[1] < previous[1]) throw new Error(`${where}: buckets not cumulative`);
      previous = bucket;
    }
    if (previous[0] !== Number.POSITIVE_INFINITY || previous[1] !== entry.count) {
      throw new Error(`${where}: +Inf bucket missing or not equal to _count`);
    }
  }
}

/**
 * The `_count` of a histogram summed over the series whose labels include `match` (0 when
 * none): how tests compare a histogram with the calls they made.
 */
export function histogramCount(
  families: Map<string, PromFamily>,
  name: string,
  match: Record<string, string> = {},
): number {
  const family = families.get(name);
  if (!family) return 0;
  return family.samples
    .filter((s) => s.name === `${name}_count` && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
