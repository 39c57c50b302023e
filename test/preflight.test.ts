/**
 * The account preflight: the program reads each region's quotas at plan time and refuses a
 * stack that does not fit (Lambda keeps 100 concurrent executions unreserved; a new account
 * often has a concurrency quota of 10 or 50, where this stack's reservations cannot be made).
 */
import {
  checkPreflight,
  LAMBDA_UNRESERVED_MINIMUM,
  PreflightError,
  preflightVerdicts,
  quotaNeeds,
  RegionDemand,
} from '../lib/preflight/quota-preflight';
import { ofType, plan, TUNED } from './helpers/plan';

const demand = (over: Partial<RegionDemand> = {}): RegionDemand => ({
  region: 'eu-west-1',
  reservations: { 'fn-trading-euw1-dev': 100, 'fn-failover-euw1-dev': 5 },
  elasticIps: 1,
  vpcs: 1,
  interfaceEndpoints: 13,
  ...over,
});

describe('quota needs and verdicts (pure)', () => {
  it('Lambda: the reservations plus the 100 Lambda keeps unreserved', () => {
    const [lambda] = quotaNeeds([demand()]);
    expect(lambda).toMatchObject({ kind: 'lambdaConcurrency', needed: 105 + LAMBDA_UNRESERVED_MINIMUM });
    expect(lambda.breakdown).toBe(
      'reserved fn-trading-euw1-dev 100 + fn-failover-euw1-dev 5 + 100 Lambda keeps unreserved',
    );
  });

  it('a quota one below the need is refused, naming the quota code, the need and the fix; equal fits', () => {
    const needs = quotaNeeds([demand()]);
    const quotas = (lambda: number) => ({
      lambdaConcurrency: { 'eu-west-1': lambda },
      elasticIps: { 'eu-west-1': 5 },
      vpcs: { 'eu-west-1': 5 },
      interfaceEndpoints: { 'eu-west-1': 50 },
    });
    expect(checkPreflight(preflightVerdicts(needs, quotas(205))).every((v) => v.fits)).toBe(true);
    expect(() => checkPreflight(preflightVerdicts(needs, quotas(204)))).toThrow(PreflightError);
    expect(() => checkPreflight(preflightVerdicts(needs, quotas(50)))).toThrow(
      /eu-west-1 Lambda concurrent executions: needs 205 .* but the account's quota is 50\. Request an increase of lambda L-B99A9384 to at least 205 in eu-west-1/,
    );
  });

  it('every need that does not fit is listed, not only the first', () => {
    const needs = quotaNeeds([demand({ elasticIps: 3 })]);
    const verdicts = preflightVerdicts(needs, {
      lambdaConcurrency: { 'eu-west-1': 10 },
      elasticIps: { 'eu-west-1': 2 },
      vpcs: { 'eu-west-1': 5 },
      interfaceEndpoints: { 'eu-west-1': 50 },
    });
    const error = (() => {
      try {
        checkPreflight(verdicts);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/Lambda concurrent executions/);
    expect(error?.message).toMatch(/EC2-VPC Elastic IPs: needs 3/);
  });
});

describe('the planned stack and its preflight', () => {
  it('the needs are read off the plan: each region’s reservations, addresses, VPCs and interface endpoints', async () => {
    const run = await plan();
    const verdicts = run.outputs.preflight as { kind: string; region: string; needed: number; quota: number }[];
    const reserved = (region: string) =>
      ofType(run, 'aws:lambda/function:Function', region).reduce(
        (n, f) => n + (f.inputs.reservedConcurrentExecutions ?? 0),
        0,
      );
    for (const region of ['us-east-1', 'eu-west-1', 'us-west-2']) {
      const lambda = verdicts.find((v) => v.kind === 'lambdaConcurrency' && v.region === region);
      expect({ region, needed: lambda?.needed }).toEqual({ region, needed: reserved(region) + 100 });
    }
    // No NAT, so no Elastic IP: the quota is not even asked for.
    expect(ofType(run, 'aws:ec2/eip:Eip')).toEqual([]);
    expect(verdicts.filter((v) => v.kind === 'elasticIps')).toEqual([]);
    for (const [kind, type, filter] of [
      ['vpcs', 'aws:ec2/vpc:Vpc', () => true],
      ['interfaceEndpoints', 'aws:ec2/vpcEndpoint:VpcEndpoint', (r: any) => r.inputs.vpcEndpointType === 'Interface'],
    ] as const)
      for (const region of ['us-east-1', 'eu-west-1'])
        expect({ kind, region, needed: verdicts.find((v) => v.kind === kind && v.region === region)?.needed }).toEqual({
          kind,
          region,
          needed: ofType(run, type, region).filter(filter).length,
        });
  });

  it('an account with a Lambda concurrency quota of 50 is refused at plan time, with the quota, the need and the fix', async () => {
    await expect(plan({ 'offline:L-B99A9384': 50 })).rejects.toThrow(
      /Account preflight: .*Lambda concurrent executions: needs \d+ .* the account's quota is 50/s,
    );
  });
});

describe('reservations as config and the account-wide accelerator quota', () => {
  it('accelerators are one global need, summed over regions and read in us-east-1 by name', () => {
    const needs = quotaNeeds([
      demand({ region: 'us-west-2', reservations: {}, elasticIps: 0, vpcs: 0, interfaceEndpoints: 0, accelerators: 1 }),
      demand({ accelerators: 0 }),
    ]);
    const accelerators = needs.filter((n) => n.kind === 'accelerators');
    expect(accelerators).toEqual([expect.objectContaining({ region: 'us-east-1', needed: 1 })]);
    const quotas = {
      lambdaConcurrency: { 'eu-west-1': 1000 },
      elasticIps: { 'eu-west-1': 5 },
      vpcs: { 'eu-west-1': 5 },
      interfaceEndpoints: { 'eu-west-1': 50 },
      accelerators: { 'us-east-1': 0 },
    };
    expect(() => checkPreflight(preflightVerdicts(needs, quotas))).toThrow(
      /us-east-1 Global Accelerator standard accelerators: needs 1 .* quota is 0\. Request an increase of globalaccelerator "Standard accelerators per AWS account"/,
    );
  });

  it('the plan reads the accelerator quota through the us-east-1 provider, and an account without room is refused', async () => {
    const run = await plan();
    const verdicts = run.outputs.preflight as { kind: string; region: string; needed: number }[];
    expect(verdicts.filter((v) => v.kind === 'accelerators')).toEqual([
      expect.objectContaining({
        region: 'us-east-1',
        needed: ofType(run, 'aws:globalaccelerator/accelerator:Accelerator').length,
      }),
    ]);
    await expect(plan({ 'offline:accelerators': 0 })).rejects.toThrow(
      /Account preflight: .*Global Accelerator standard accelerators: needs 1 .* quota is 0/s,
    );
  });

  it('the orchestrator and canary reservations are config keys, and the preflight counts what they set', async () => {
    const base = await plan();
    const tuned = await plan(TUNED); // orchestratorReservedConcurrency 7, canaryReservedConcurrency 3
    const reservation = (run: typeof base, fragment: string) =>
      ofType(run, 'aws:lambda/function:Function')
        .filter((f) => String(f.inputs.name).includes(fragment))
        .map((f) => f.inputs.reservedConcurrentExecutions);
    expect(reservation(base, 'fn-failover')).toEqual([5]);
    expect(reservation(tuned, 'fn-failover')).toEqual([7]);
    expect(reservation(tuned, 'canary').length).toBeGreaterThan(0);
    expect(new Set(reservation(tuned, 'canary'))).toEqual(new Set([3]));
    const lambdaNeed = (run: typeof base, region: string) =>
      (run.outputs.preflight as { kind: string; region: string; needed: number }[]).find(
        (v) => v.kind === 'lambdaConcurrency' && v.region === region,
      )?.needed;
    const canaries = (region: string) =>
      ofType(tuned, 'aws:lambda/function:Function', region).filter((f) => String(f.inputs.name).includes('canary'))
        .length;
    const orchestrators = (region: string) =>
      ofType(tuned, 'aws:lambda/function:Function', region).filter((f) => String(f.inputs.name).includes('fn-failover'))
        .length;
    for (const region of ['us-east-1', 'eu-west-1'])
      expect(lambdaNeed(tuned, region)! - lambdaNeed(base, region)!).toBe(canaries(region) + 2 * orchestrators(region));
  });

  it('a reservation out of range names its key before anything is planned', async () => {
    await expect(plan({ canaryReservedConcurrency: 1 })).rejects.toThrow(/canaryReservedConcurrency: must be/);
    await expect(plan({ orchestratorReservedConcurrency: 0 })).rejects.toThrow(
      /orchestratorReservedConcurrency: must be/,
    );
  });
});
