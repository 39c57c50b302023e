/** Runs the real program under mocks, once per distinct config in a jest run. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { OfflineRun, RecordedResource, runOffline, stackConfig } from '../../scripts/offline';

const runs = new Map<string, Promise<OfflineRun>>();

/**
 * The dev stack's config with `overrides` applied, planned offline. Runs are shared by the
 * config they end up with, so an override equal to the stack's own value costs no second run.
 */
export function plan(overrides: Record<string, unknown> = {}): Promise<OfflineRun> {
  const config = stackConfig('dev', overrides);
  const key = JSON.stringify(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  if (!runs.has(key)) runs.set(key, sharedRun(config, key));
  return runs.get(key)!;
}

/**
 * A config's run, shared by the test files of one jest run through the directory the global
 * setup made (plan-cache-setup.js): the first file to plan a config writes it, later files
 * read it. Without that directory (a script importing this helper) every file plans itself.
 */
async function sharedRun(config: Record<string, string>, key: string): Promise<OfflineRun> {
  const dir = process.env.TAP_PLAN_CACHE;
  if (!dir) return runOffline(config);
  const file = path.join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as OfflineRun;
  const run = await runOffline(config);
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, JSON.stringify(run));
  fs.renameSync(partial, file);
  return run;
}

export function ofType(run: OfflineRun, type: string, region?: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type && (region === undefined || r.region === region));
}

export function named(run: OfflineRun, type: string, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    const names = ofType(run, type).map((r) => r.name);
    throw new Error(`expected one ${type} named ${name}, found ${found.length}; there are: ${names.join(', ')}`);
  }
  return found[0];
}

export function byUrn(run: OfflineRun, urn: string): RecordedResource {
  const found = run.resources.find((r) => r.urn === urn);
  if (!found) throw new Error(`no resource ${urn}`);
  return found;
}

/** Every ancestor URN of a resource, nearest first. */
export function ancestors(run: OfflineRun, resource: RecordedResource): RecordedResource[] {
  const chain: RecordedResource[] = [];
  let parent = resource.parent;
  while (parent) {
    const p = run.resources.find((r) => r.urn === parent);
    if (!p) break;
    chain.push(p);
    parent = p.parent;
  }
  return chain;
}

/** Whether `resource` waits for `target`, directly or through a chain of dependsOn. */
export function dependsOnTransitively(run: OfflineRun, resource: RecordedResource, target: RecordedResource): boolean {
  const seen = new Set<string>();
  const stack = [...resource.dependsOn];
  while (stack.length > 0) {
    const urn = stack.pop()!;
    if (urn === target.urn) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const r = run.resources.find((x) => x.urn === urn);
    if (r) stack.push(...r.dependsOn);
  }
  return false;
}

export const PRIMARY = 'us-east-1';
export const SECONDARY = 'eu-west-1';
