/**
 * scripts/offline.ts runs the program without stack traces: Pulumi formats one for every promise
 * it tracks and every resource it registers, the mocks read none, and formatting them was about
 * half of every offline run. Here the program is a stand-in, so no full plan is needed. (A program
 * that throws is run again with stack traces, so its error says where it broke: test/plan-cli.test.ts
 * "a crash: 70 ..." reads that frame; in a jest worker such a throw also escapes as an unhandled
 * rejection, so it is not repeated here.)
 */
import * as pulumi from '@pulumi/pulumi';
import { runOffline } from '../scripts/offline';

/** Error.stackTraceLimit as the stand-in program saw it, run by run. */
const seen: number[] = [];

jest.mock('../lib/program', () => ({
  loadSettings: () => ({}),
  readAccount: async () => ({}),
  buildPlatform: () => {
    seen.push(Error.stackTraceLimit);
    new pulumi.ComponentResource('tap:test:Registered', 'registered');
    return { outputs: {}, preflight: Promise.resolve() };
  },
}));

it('runs the program with stack traces off, and turns them back on after', async () => {
  const before = Error.stackTraceLimit;
  expect(before).toBeGreaterThan(0);
  const run = await runOffline({}, 'dev');
  expect(seen).toEqual([0]);
  expect(run.resources.filter((r) => r.type === 'tap:test:Registered').map((r) => r.name)).toEqual(['registered']);
  expect(Error.stackTraceLimit).toBe(before);
});
