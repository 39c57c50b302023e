/**
 * docs/openapi.yaml against the API as `npm run serve` runs it (the EC2 server over an embedded
 * PostgreSQL 14): every answer has a documented status, a body of the documented schema and the
 * documented headers, requests are signed as documented, the documented paths and methods are the
 * ones served, and the examples in docs/api.md work as written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_DIR } from '../scripts/offline';
import { tokenize } from '../scripts/runbook';
import { CLIENTS } from '../scripts/local/trading-db';
import { main as orderCli, OrderClient } from '../scripts/order-client';
import { PRIMARY_REGION, SECONDARY_REGION } from '../lib/config/config-schema';
import { apiHostNames } from '../lib/config/api-hosts';
import { SCHEME } from '../lambda/trading/signing';
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
let deskA: OrderClient;
let deskB: OrderClient;
beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  api = await startLocalApi();
  deskA = new OrderClient(api.url, CLIENTS.deskA);
  deskB = new OrderClient(api.url, CLIENTS.deskB);
}, 120_000);
afterAll(() => api?.close());

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** Check an answer against the spec's operation for `template`: documented status, schema, headers. */
function check(method: string, template: string, answer: Answer): Answer {
  const operation = SPEC.paths[template]?.[method.toLowerCase()];
  const listed = operation?.responses?.[String(answer.status)];
  const documented = listed?.$ref ? SPEC.components.responses[listed.$ref.split('/').pop()] : listed;
  const what = { method, template, status: answer.status };
  expect({ ...what, documented: Boolean(documented) }).toEqual({ ...what, documented: true });
  const schema = documented.content['application/json'].schema;
  expect({ ...what, problems: problems(answer.body, schema) }).toEqual({ ...what, problems: [] });
  const always = Object.entries<{ required?: boolean }>(documented.headers ?? {}).filter(
    ([, h]) => h.required !== false,
  );
  for (const [header] of always)
    expect({ ...what, header, present: answer.headers.has(header) }).toEqual({ ...what, header, present: true });
  // Every response, whatever the outcome.
  for (const header of ['strict-transport-security', 'x-content-type-options', 'cache-control'])
    expect({ ...what, header, present: answer.headers.has(header) }).toEqual({ ...what, header, present: true });
  return answer;
}

async function unsigned(
  method: string,
  urlPath: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${api.url}${urlPath}`, { method, headers: init.headers, body: init.body });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const order = {
  clientOrderId: 'spec-1',
  symbol: 'ACME',
  side: 'buy',
  type: 'limit',
  quantity: '10',
  limitPrice: '101.25',
};
const signedPost = (client: OrderClient, body: string, headers?: Record<string, string>) =>
  client.request('POST', '/orders', body, { headers }) as Promise<Answer>;

describe('docs/openapi.yaml matches the API npm run serve runs', () => {
  it('health: unauthenticated, the verdict only', async () => {
    expect(check('GET', '/health', await unsigned('GET', '/health')).body).toEqual({ status: 'ok' });
  });

  it('place, replay, conflict, read: 201, 200, 409, 200; another client sees nothing', async () => {
    const created = check('POST', '/orders', await signedPost(deskA, JSON.stringify(order)));
    expect(created.status).toBe(201);
    expect(created.body.limitPrice).toBe('101.25');
    // npm run serve writes to the live order book, the peer replica first: durable in both regions.
    const { durability, ...createdOrder } = created.body;
    expect(durability).toBe('cross-region');
    const replay = check('POST', '/orders', await signedPost(deskA, JSON.stringify(order)));
    expect([replay.status, replay.body.id]).toEqual([200, created.body.id]);
    const conflict = check('POST', '/orders', await signedPost(deskA, JSON.stringify({ ...order, quantity: '11' })));
    expect(conflict.status).toBe(409);
    // The order itself; how durable the acknowledgement was belongs to the 201 alone.
    expect(check('GET', '/orders/{id}', (await deskA.getOrder(created.body.id)) as Answer).body).toEqual(createdOrder);
    expect(check('GET', '/orders/{id}', (await deskB.getOrder(created.body.id)) as Answer).status).toBe(404);
  });

  it('the client’s mistakes: 400, 401, 413, 415, 404, 405', async () => {
    expect(check('POST', '/orders', await signedPost(deskA, '{"symbol":1}')).status).toBe(400);
    // Money as strings only, and each key once.
    const numeric = check('POST', '/orders', await signedPost(deskA, JSON.stringify({ ...order, limitPrice: 101.25 })));
    expect([numeric.status, numeric.body.errors]).toEqual([400, [expect.objectContaining({ field: 'limitPrice' })]]);
    const twice = `${JSON.stringify(order).slice(0, -1)},"quantity":"1000"}`;
    expect(check('POST', '/orders', await signedPost(deskA, twice)).body.errors).toEqual([
      { field: 'quantity', message: 'quantity appears more than once: send each key once' },
    ]);
    expect(
      check(
        'POST',
        '/orders',
        await unsigned('POST', '/orders', {
          body: JSON.stringify(order),
          headers: { 'content-type': 'application/json' },
        }),
      ).status,
    ).toBe(401);
    expect(
      check('GET', '/orders/{id}', await unsigned('GET', `/orders/00000000-0000-4000-8000-000000000000`)).status,
    ).toBe(401);
    expect(check('POST', '/orders', await signedPost(deskA, 'x'.repeat(17 * 1024))).status).toBe(413);
    expect(check('POST', '/orders', await signedPost(deskA, '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(check('GET', '/orders/{id}', (await deskA.getOrder('not-a-uuid')) as Answer).status).toBe(400);
    expect(
      check('GET', '/orders/{id}', (await deskA.getOrder('00000000-0000-4000-8000-000000000000')) as Answer).status,
    ).toBe(404);
  });

  it('serves exactly the documented paths and methods (others, signed: 405 naming the documented one)', async () => {
    for (const [template, operations] of Object.entries<Record<string, unknown>>(SPEC.paths)) {
      const urlPath = template.replace('{id}', '00000000-0000-4000-8000-000000000000');
      const documented = Object.keys(operations).map((m) => m.toUpperCase());
      for (const method of ['GET', 'POST', 'PUT', 'DELETE'].filter((m) => !documented.includes(m))) {
        const res = (await deskA.request(method, urlPath)) as Answer;
        expect({ template, method, status: res.status, allow: res.headers.get('allow') }).toEqual({
          template,
          method,
          status: 405,
          allow: documented.join(', '),
        });
      }
    }
    expect(((await deskA.request('GET', '/undocumented')) as Answer).status).toBe(404);
  });

  it('npm run serve answers as the primary region (us-east-1), as the platform does when healthy', async () => {
    const answer = await deskA.placeOrder({
      clientOrderId: 'region-check-1',
      symbol: 'ACME',
      side: 'buy',
      type: 'limit',
      quantity: '1',
      limitPrice: '10.00',
    });
    expect(answer.status).toBe(201);
    expect((answer.body as { region: string }).region).toBe(PRIMARY_REGION);
  });

  it('the examples in docs/api.md work as written', async () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'api.md'), 'utf8');
    const block = /<!-- example:api -->\s*```bash\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const commands = block![1].split('\n').filter((l) => /^(curl|TAP_CLIENT_ID=)/.test(l));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    let lastId = '';
    for (const line of commands) {
      const words = tokenize(line.replace('$ID', lastId)).map((w) => w.replace('http://127.0.0.1:8080', api.url));
      if (words[0] === 'curl') {
        const url = new URL(words.find((w) => w.startsWith(api.url))!);
        expect(check('GET', url.pathname, await unsigned('GET', url.pathname)).status).toBe(200);
        continue;
      }
      // TAP_CLIENT_ID=... TAP_CLIENT_KEY=... npm run order -- <args>: the order client's own entry point.
      const env = Object.fromEntries(
        words.filter((w) => /^TAP_[A-Z_]+=/.test(w)).map((w) => w.split(/=(.*)/s).slice(0, 2)),
      );
      const args = words.slice(words.indexOf('--') + 1);
      const out: string[] = [];
      expect(await orderCli(args, env, (l) => out.push(l))).toBe(0);
      const [status, ...json] = out[0].split(' ');
      const answer = JSON.parse(json.join(' '));
      expect(Number(status)).toBeLessThan(300);
      if (answer.id) lastId = answer.id;
    }
    expect(lastId).not.toBe('');
  });

  it('every operation has a unique operationId; the servers are the names the service answers to', () => {
    const ids = Object.values<Record<string, { operationId?: string }>>(SPEC.paths).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const template = SPEC.servers.find((s: { url: string }) => s.url.startsWith('https://'));
    expect(template.url).toBe('https://{entry}.{domain}');
    const domain = template.variables.domain.default;
    const names = [PRIMARY_REGION, SECONDARY_REGION].flatMap((r) => apiHostNames({ domainName: domain }, r));
    const documented = template.variables.entry.enum.map((e: string) => `${e}.${domain}`);
    expect([...documented].sort()).toEqual([...new Set(names)].sort());
  });

  it('the signing scheme is the Authorization scheme the service checks, specified in docs/signing.md', () => {
    const scheme = SPEC.components.securitySchemes.signed;
    expect([scheme.type, scheme.scheme]).toEqual(['http', SCHEME]);
    expect(scheme.description).toContain('docs/signing.md');
    expect(scheme.description).toContain('Region=<region>');
  });

  it('every example matches its schema, and the request examples are accepted as written (201)', async () => {
    const examples: { where: string; value: unknown; schema: Schema }[] = [];
    for (const [template, ops] of Object.entries<Record<string, any>>(SPEC.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const body = op.requestBody?.content?.['application/json'];
        for (const [name, ex] of Object.entries<any>(body?.examples ?? {}))
          examples.push({ where: `${method} ${template} request ${name}`, value: ex.value, schema: body.schema });
        for (const [status, listed] of Object.entries<any>(op.responses ?? {})) {
          const res = listed.$ref ? SPEC.components.responses[listed.$ref.split('/').pop()] : listed;
          const content = res.content?.['application/json'];
          if (content?.example !== undefined)
            examples.push({ where: `${method} ${template} ${status}`, value: content.example, schema: content.schema });
        }
      }
    }
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(examples.flatMap((e) => problems(e.value, e.schema).map((p) => `${e.where}: ${p}`))).toEqual([]);
    const requests = SPEC.paths['/orders'].post.requestBody.content['application/json'].examples;
    for (const ex of Object.values<any>(requests)) {
      const answer = check('POST', '/orders', await signedPost(deskB, JSON.stringify(ex.value)));
      expect(answer.status).toBe(201);
    }
  });
});
