/**
 * Only `libs/db` runs SQL: every other library and every service reads and writes Postgres
 * through its repository functions, so each table (and each `action_runs` transition) has one
 * owner. This scans the other packages' source (tests aside: they may look at rows directly) for
 * string literals that open with SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Source outside `libs/db` allowed to run SQL, and why. */
const Allowed: Record<string, string> = {
  'libs/devstack/src/postgres.ts': 'creates the development database before any migration (no libs/db schema yet)',
};

/** A string literal (quoted or template) whose text opens with an SQL statement. */
const SqlLiteral =
  /(['"`])\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\(|CREATE\s+(TABLE|DATABASE|INDEX|TRIGGER)\s|ALTER\s+TABLE\s|DROP\s+TABLE\s|TRUNCATE\s)/;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

/** `path:line: text` of each line that holds SQL. */
function sqlLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line, i) => (SqlLiteral.test(line) ? [`${relative(root, path)}:${i + 1}: ${line.trim()}`] : []));
}

function packagesSources(): string[] {
  return ['libs', 'services'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((d) => d.isDirectory() && `${group}/${d.name}` !== 'libs/db')
      .flatMap((d) => {
        const src = join(root, group, d.name, 'src');
        try {
          return sourceFiles(src);
        } catch {
          return [];
        }
      }),
  );
}

describe('SQL lives in libs/db', () => {
  it('recognizes SQL in the shapes the code writes it', () => {
    expect(SqlLiteral.test(`await db.query('SELECT status FROM action_runs WHERE intent_id = $1', [id]);`)).toBe(true);
    expect(SqlLiteral.test('await db.query(`DELETE FROM action_runs WHERE intent_id = $1`, [id]);')).toBe(true);
    expect(SqlLiteral.test('    `INSERT INTO effect_records (tenant_id) VALUES ($1)`,')).toBe(true);
    expect(SqlLiteral.test("  'UPDATE effect_records SET state = $2',")).toBe(true);
    // Documentation of HTTP routes is not SQL.
    expect(SqlLiteral.test("'DELETE /v1/mcp/:agent': Scopes.Conversations,")).toBe(false);
    expect(SqlLiteral.test('/** `DELETE /crm/v3/objects/tickets/{id}` (archive) */')).toBe(false);
  });

  it('finds none in any other library or service', () => {
    const files = packagesSources();
    expect(files.length).toBeGreaterThan(100);
    const found = files.filter((f) => !(relative(root, f) in Allowed)).flatMap(sqlLines);
    expect(found).toEqual([]);
  });

  it('allows only files that still hold SQL', () => {
    for (const path of Object.keys(Allowed)) expect(sqlLines(join(root, path)), path).not.toEqual([]);
  });
});
