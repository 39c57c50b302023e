/**
 * docs/openapi.yaml against the API as `npm run serve` runs it (the EC2 server over an embedded
 * PostgreSQL 14): every answer has a documented status and a body of the documented schema, the
 * documented paths and methods are the ones served, and the README's curl examples work.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_DIR } from '../scripts/offline';
import { tokenize } from '../scripts/runbook';
import { LocalApi, startLocalApi } from '../scripts/serve';

const SPEC = parseYaml(fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'openapi.yaml'), 'utf8'));

type Schema = Record<string, any>;

/** The subset of JSON Schema the spec uses: $ref, type (or types), required, properties, enum, pattern, items, formats. */
function problems(value: unknown, schema: Schema, at = '$'): string[] {
  if (schema.$ref) return problems(value, SPEC.components.schemas[schema.$ref.split('/').pop()], at);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (types.length && !types.includes(kind)) return [`${at}: ${kind}, not ${types.join(' or ')}`];
  const out: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} not in ${schema.enum}`);
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value))
    out.push(`${at}: ${value} does not match ${schema.pattern}`);
  if (schema.format === 'uuid' && !/^[0-9a-f-]{36}$/i.test(String(value))) out.push(`${at}: not a uuid`);
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(String(value)))) out.push(`${at}: not a date-time`);
  if (kind === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) out.push(`${at}.${key}: missing`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) out.push(...problems(v, sub, `${at}.${key}`));
      else if (schema.additionalProperties === false) out.push(`${at}.${key}: not documented`);
    }
  }
  if (kind === 'array' && schema.items)
    (value as unknown[]).forEach((v, i) => out.push(...problems(v, schema.items, `${at}[${i}]`)));
  return out;
}

let api: LocalApi;
beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  api = await startLocalApi();
}, 120_000);
afterAll(() => api?.close());

/** Send a request and check the answer against the spec's operation for `template`. */
async function call(
  method: string,
  template: string,
  urlPath: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${api.url}${urlPath}`, { method, headers: init.headers, body: init.body });
  const body = (await res.json()) as any;
  const operation = SPEC.paths[template]?.[method.toLowerCase()];
  const documented = operation?.responses?.[String(res.status)];
  expect({ method, urlPath, status: res.status, documented: Boolean(documented) }).toEqual({
    method,
    urlPath,
    status: res.status,
    documented: true,
  });
  const schema = documented.content['application/json'].schema;
  expect({ method, urlPath, status: res.status, problems: problems(body, schema) }).toEqual({
    method,
    urlPath,
    status: res.status,
    problems: [],
  });
  for (const header of Object.keys(documented.headers ?? {})) expect(res.headers.get(header)).not.toBeNull();
  return { status: res.status, body };
}

const order = {
  clientOrderId: 'spec-1',
  symbol: 'ACME',
  side: 'buy',
  type: 'limit',
  quantity: '10',
  limitPrice: 101.25,
};
const jsonHeaders = { 'content-type': 'application/json' };

describe('docs/openapi.yaml matches the API npm run serve runs', () => {
  it('health', async () => {
    expect((await call('GET', '/health', '/health')).body).toMatchObject({ status: 'ok', accepting: 'write' });
  });

  it('place, replay, conflict, read: 201, 200, 409, 200', async () => {
    const created = await call('POST', '/orders', '/orders', { body: JSON.stringify(order), headers: jsonHeaders });
    expect(created.status).toBe(201);
    expect(created.body.limitPrice).toBe('101.25');
    const replay = await call('POST', '/orders', '/orders', { body: JSON.stringify(order), headers: jsonHeaders });
    expect([replay.status, replay.body.id]).toEqual([200, created.body.id]);
    const conflict = await call('POST', '/orders', '/orders', {
      body: JSON.stringify({ ...order, quantity: '11' }),
      headers: jsonHeaders,
    });
    expect([conflict.status, conflict.body.order.id]).toEqual([409, created.body.id]);
    expect((await call('GET', '/orders/{id}', `/orders/${created.body.id}`)).body).toEqual(created.body);
  });

  it('the client’s mistakes: 400, 413, 415, 404, 405', async () => {
    expect((await call('POST', '/orders', '/orders', { body: '{"symbol":1}', headers: jsonHeaders })).status).toBe(400);
    expect(
      (await call('POST', '/orders', '/orders', { body: 'x'.repeat(17 * 1024), headers: jsonHeaders })).status,
    ).toBe(413);
    expect(
      (await call('POST', '/orders', '/orders', { body: '{}', headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(415);
    expect((await call('GET', '/orders/{id}', '/orders/not-a-uuid')).status).toBe(400);
    expect((await call('GET', '/orders/{id}', '/orders/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('serves exactly the documented paths and methods (others: 405 naming the documented one)', async () => {
    for (const [template, operations] of Object.entries<Record<string, unknown>>(SPEC.paths)) {
      const urlPath = template.replace('{id}', '00000000-0000-4000-8000-000000000000');
      const documented = Object.keys(operations).map((m) => m.toUpperCase());
      for (const method of ['GET', 'POST', 'PUT', 'DELETE'].filter((m) => !documented.includes(m))) {
        const res = await fetch(`${api.url}${urlPath}`, { method });
        expect({ template, method, status: res.status, allow: res.headers.get('allow') }).toEqual({
          template,
          method,
          status: 405,
          allow: documented.join(', '),
        });
      }
    }
    expect((await fetch(`${api.url}/undocumented`)).status).toBe(404);
  });

  it('the README’s curl examples work as written', async () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, 'README.md'), 'utf8');
    const block = /<!-- example:api -->\s*```bash\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const lines = block![1].split('\n').filter((l) => l.startsWith('curl '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    let lastId = '';
    for (const line of lines) {
      const words = tokenize(line.replace('$ID', lastId));
      const method = words.includes('-X') ? words[words.indexOf('-X') + 1] : words.includes('-d') ? 'POST' : 'GET';
      const url = words.find((w) => w.startsWith('http://127.0.0.1:8080'))!;
      const headers: Record<string, string> = {};
      words.forEach((w, i) => {
        if (w === '-H') {
          const [k, ...v] = words[i + 1].split(':');
          headers[k.trim()] = v.join(':').trim();
        }
      });
      const body = words.includes('-d') ? words[words.indexOf('-d') + 1] : undefined;
      const urlPath = new URL(url).pathname;
      const template = urlPath.startsWith('/orders/') ? '/orders/{id}' : urlPath;
      const { status, body: answer } = await call(method, template, urlPath, { body, headers });
      expect(status).toBeLessThan(400);
      if (answer.id) lastId = answer.id;
    }
  });
});
