/** Runs the real program under mocks, once per distinct config in a jest run. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { OfflineRun, RecordedResource, runOffline, stackConfig } from '../../scripts/offline';
import { processRunning } from '../../scripts/local/process-running';

const runs = new Map<string, Promise<OfflineRun>>();

/**
 * The dev stack's config with `overrides` applied, planned offline. Runs are shared by the
 * config they end up with, so an override equal to the stack's own value costs no second run.
 */
export function plan(overrides: Record<string, unknown> = {}): Promise<OfflineRun> {
  return planConfig(stackConfig('dev', overrides));
}

/** A stack's full config (`ns:key` -> string) planned offline, shared as `plan` shares it. */
export function planConfig(config: Record<string, string>, stack = 'dev'): Promise<OfflineRun> {
  const key = JSON.stringify([stack, Object.entries(config).sort(([a], [b]) => a.localeCompare(b))]);
  if (!runs.has(key)) runs.set(key, sharedRun(config, stack, key));
  return runs.get(key)!;
}

/**
 * A config's run, shared by the test files of one jest run through the directory the global
 * setup made (plan-cache-setup.js): the first file to plan a config writes it, and a file that
 * asks for it meanwhile waits for that run instead of planning it a second time; later files read
 * it. Without that directory (a script importing this helper) every file plans itself.
 */
async function sharedRun(config: Record<string, string>, stack: string, key: string): Promise<OfflineRun> {
  const dir = process.env.TAP_PLAN_CACHE;
  if (!dir) return runOffline(config, stack);
  const file = path.join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  const lock = `${file}.lock`;
  const read = () => JSON.parse(fs.readFileSync(file, 'utf8')) as OfflineRun;
  for (;;) {
    if (fs.existsSync(file)) return read();
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Another file is planning this config: wait for it. It removes the lock, run or not; a lock
    // whose process is gone is taken over.
    for (let pid = holder(lock); pid !== undefined && !fs.existsSync(file); pid = holder(lock)) {
      if (pid > 0 && !processRunning(pid)) fs.rmSync(lock, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    const run = await runOffline(config, stack);
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, JSON.stringify(run));
    fs.renameSync(partial, file);
    return run;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** The process holding a plan's lock (0 while the lock is being written), or undefined: no lock. */
function holder(lock: string): number | undefined {
  try {
    return Number(fs.readFileSync(lock, 'utf8')) || 0;
  } catch {
    return undefined;
  }
}

/*
 * Configs that tests in several files plan. Each distinct config is a run of the program (about
 * a second of CPU in a jest run), so a test that needs a setting other than the dev stack's
 * plans one of these when it serves: each reads only the keys it is about.
 */

/** A protected stack: deletion protection on, key admins named (the prod stack is one). */
export const PROTECTED = {
  dataProtection: 'protected',
  keyAdminRoleArns: JSON.stringify(['arn:aws:iam::123456789012:role/platform-admin']),
  clientKeyAdminRoleArns: JSON.stringify(['arn:aws:iam::123456789012:role/api-key-admin']),
};

/** The optional features on: Lambda code signing enforced, game days. */
export const FEATURES_ON = { lambdaCodeSigning: 'enforce', gameDays: 'enabled' };

/** Settings off their defaults that each reach only their own resources. */
export const TUNED = {
  // monitoring.test.ts
  alarmDbCpuPercent: 65,
  alarm5xxPercent: 2,
  awsConfigRecorder: 'reuse',
  secretRotationDays: 7,
  // compute.test.ts
  wafRateLimit: 500,
  wafClientRateLimit: 120,
  // preflight.test.ts
  orchestratorReservedConcurrency: 7,
  canaryReservedConcurrency: 3,
  // order-book.test.ts
  bookBreakGlassRoleArn: 'arn:aws:iam::123456789012:role/book-break-glass',
  // database.test.ts: a minor upgrade (same parameter-group family), Extended Support
  dbEngineVersion: '14.10',
  engineLifecycleSupport: 'open-source-rds-extended-support',
  // failover.test.ts (slow probes and a long fast window put the first live order past the
  // default 60 s target)
  failoverRecoveryWindowSeconds: 300,
  failoverProbeIntervalSeconds: 20,
  failoverFastWindowSeconds: 40,
  failoverPromotionMode: 'approval',
  rtoTargetSeconds: 120,
};

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
