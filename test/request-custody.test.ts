/**
 * Who may verify requests, planned: only the roles that serve signed requests (the trading
 * function and the EC2 fleet) read the client keys and write the region's request ledger; the
 * drainer, which serves no request, gets neither. The ledger is one regional table each
 * instance reaches through the DynamoDB gateway endpoint.
 */
import { named, ofType, plan } from './helpers/plan';

const REGIONS = [
  ['us-east-1', 'use1'],
  ['eu-west-1', 'euw1'],
] as const;

type Policy = { Statement: { Sid?: string; Action: string | string[]; Resource: string | string[] }[] };
const policyOf = (run: Awaited<ReturnType<typeof plan>>, role: string): Policy =>
  JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', role).inputs.policy);
const grants = (p: Policy, action: string, resource: RegExp) =>
  p.Statement.filter(
    (s) => [s.Action].flat().includes(action) && [s.Resource].flat().some((r) => resource.test(String(r))),
  );

describe.each(REGIONS)('request verification in %s', (region, code) => {
  const ledger = `arn:aws:dynamodb:${region}:123456789012:table/ddb-auth-ledger-${code}-dev`;
  const clientKeys = new RegExp(`^arn:aws:secretsmanager:${region}:.*secret-api-clients-dev`);

  it('the regional ledger table: a pk hash key, TTL on expiresAt, encrypted, not a global table', async () => {
    const run = await plan();
    const table = named(run, 'aws:dynamodb/table:Table', `ddb-auth-ledger-${code}-dev`);
    expect(table.inputs).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      attributes: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
      serverSideEncryption: { enabled: true },
    });
    expect(table.inputs.replicas).toBeUndefined();
    expect(ofType(run, 'aws:dynamodb/table:Table').filter((t) => t.name.startsWith('ddb-auth-ledger'))).toHaveLength(2);
  });

  it('the trading function and the fleet read the client keys and write the ledger', async () => {
    const run = await plan();
    for (const role of [`role-fn-trading-${code}-dev`, `role-ec2-trading-${code}-dev`]) {
      const p = policyOf(run, role);
      expect([role, grants(p, 'secretsmanager:GetSecretValue', clientKeys).length]).toEqual([role, 1]);
      for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem']) {
        expect([role, action, grants(p, action, new RegExp(`^${ledger}$`)).length]).toEqual([role, action, 1]);
      }
    }
  });

  it('the trading function gets the ledger, its names and the keys in its environment', async () => {
    const run = await plan();
    const vars = (fn: string) => named(run, 'aws:lambda/function:Function', fn).inputs.environment.variables;
    expect(vars(`fn-trading-${code}-dev`)).toMatchObject({
      AUTH_TABLE_NAME: `ddb-auth-ledger-${code}-dev`,
      API_HOSTS: `api.dev.tap-trading.example.com,read.dev.tap-trading.example.com,global.dev.tap-trading.example.com,${code}.dev.tap-trading.example.com`,
    });
  });

  it("the DynamoDB gateway endpoint lets the ledger's two conditional writes through, on that table only", async () => {
    const run = await plan();
    const endpoint = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region).find((e) =>
      String(e.inputs.serviceName).endsWith('.dynamodb'),
    )!;
    const policy = JSON.parse(endpoint.inputs.policy) as Policy;
    const writes = policy.Statement.filter((s) => [s.Action].flat().some((a) => /Put|Update/.test(a)));
    // The order book's replica has its own write statement, on its own table (test/order-book.test.ts).
    const onLedger = writes.filter((s) => s.Resource === ledger);
    expect(onLedger).toHaveLength(1);
    expect(onLedger[0]).toMatchObject({ Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: ledger });
    expect(writes.filter((s) => s.Resource !== ledger).map((s) => s.Resource)).toEqual([
      expect.stringMatching(new RegExp(`^arn:aws:dynamodb:${region}:\\d{12}:table/ddb-order-book-dev$`)),
    ]);
  });
});
