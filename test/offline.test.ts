/**
 * scripts/offline.ts runs the program without stack traces: Pulumi formats one for every promise
 * it tracks and every resource it registers, the mocks read none, and formatting them was about
 * half of every offline run. Here the program is a stand-in, so no full plan is needed. (A program
 * that throws is run again with stack traces, so its error says where it broke: test/plan-cli.test.ts
 * "a crash: 70 ..." reads that frame; in a jest worker such a throw also escapes as an unhandled
 * rejection, so it is not repeated here.)
 */
import * as pulumi from '@pulumi/pulumi';
import { RecordedResource, runOffline } from '../scripts/offline';

/** Error.stackTraceLimit as the stand-in program saw it, run by run. */
const seen: number[] = [];

jest.mock('../lib/program', () => ({
  // The stand-in names its one resource after the config it was given (`tap:name`).
  loadSettings: () => ({ name: pulumi.runtime.allConfig()['tap:name'] ?? 'registered' }),
  readAccount: async () => new Promise((resolve) => setTimeout(() => resolve({}), 10)),
  buildPlatform: (settings: { name: string }) => {
    seen.push(Error.stackTraceLimit);
    new pulumi.ComponentResource('tap:test:Registered', settings.name);
    return { outputs: {}, preflight: Promise.resolve() };
  },
}));

const registered = (run: { resources: { type: string; name: string }[] }) =>
  run.resources.filter((r) => r.type === 'tap:test:Registered').map((r) => r.name);

beforeEach(() => {
  seen.length = 0;
});

it('runs the program with stack traces off, and turns them back on after', async () => {
  const before = Error.stackTraceLimit;
  expect(before).toBeGreaterThan(0);
  const run = await runOffline({}, 'dev');
  expect(seen).toEqual([0]);
  expect(registered(run)).toEqual(['registered']);
  expect(Error.stackTraceLimit).toBe(before);
});

it('runs asked for at once run one after the other: the Pulumi runtime they share is global', async () => {
  // Two configs planned at once (deployer-policy.test.ts plans dev and prod together): each run
  // gets its own resources, not the other's.
  const [a, b] = await Promise.all([runOffline({ 'tap:name': 'a' }, 'dev'), runOffline({ 'tap:name': 'b' }, 'dev')]);
  expect([registered(a), registered(b)]).toEqual([['a'], ['b']]);
});

it('hands each resource to the caller as it registers (the plan draws its progress from them)', async () => {
  const given: RecordedResource[] = [];
  const run = await runOffline({ 'tap:name': 'seen' }, 'dev', given);
  expect(registered({ resources: given })).toEqual(['seen']);
  expect(given.map((r) => r.urn)).toEqual(run.resources.map((r) => r.urn));
});
