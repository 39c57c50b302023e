/**
 * The drill's timeline (issue 23 item 7, issue 27 item 2): a run's result as data under the game
 * day's event names, and the SVG drawn from it; the table's p50/p99 over seeded runs; settings the
 * config must refuse judged without a simulation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TIMELINE_EVENTS } from '../lib/model/game-day-results';
import { runConfigScenario } from '../scripts/drill/config-scenario';
import { drillScenarios } from '../scripts/drill/index';
import type { ScenarioResult } from '../scripts/drill/metrics';
import { FIXED_PHASES } from '../scripts/drill/phases';
import { byScenario, drillReport, spread } from '../scripts/drill/report';
import { drillSettings } from '../scripts/drill/settings';
import { type DrillTimeline, drillTimeline, timelineEvents } from '../scripts/drill/timeline';
import { timelineSvg } from '../scripts/drill/timeline-svg';
import { PLAIN } from '../scripts/report';

const settings = drillSettings('dev');
const scenarios = drillScenarios(settings);

/** A region-outage-like run: fault at 60.5 s, writer moved at 90 s, promotion 150-270 s. */
function run(overrides: Partial<ScenarioResult> = {}, seed = 3): ScenarioResult {
  return {
    name: 'region-outage',
    title: 'us-east-1 fails entirely',
    seed,
    phases: FIXED_PHASES,
    metrics: {
      promotions: 1,
      lost: 0,
      duplicates: 0,
      unacknowledged: 0,
      firstLiveSeconds: 31.5,
      longestGapSeconds: 32,
      decisionSeconds: 29.5,
      fencedAcks: 0,
    },
    expectation: { promotions: 1, firstLiveWithinSeconds: () => 60 },
    failures: [],
    passed: true,
    detail: {
      clients: [],
      lostIds: [],
      unacknowledgedIds: [],
      duplicateIds: [],
      promotions: [{ atSeconds: 270, kind: 'failover', from: 'us-east-1', to: 'eu-west-1' }],
      promotionStarts: [{ atSeconds: 150, kind: 'failover' }],
      rejoins: [],
      decisions: [
        { atSeconds: 50, trigger: 'schedule', action: 'none', reason: 'gate closed' },
        { atSeconds: 120, trigger: 'schedule', action: 'move-writer', reason: 'region gone' },
      ],
      writerMoves: [{ atSeconds: 90, region: 'eu-west-1', epoch: 2, durability: 'regional' }],
      ordersPerSecond: [
        { second: 0, acknowledged: 2, refused: 0 },
        { second: 1, acknowledged: 0, refused: 2 },
      ],
      firstFailedSeconds: 61,
      firstLiveSecondarySeconds: 92,
      votes: [
        { atSeconds: 55, vantage: 'eu-west-1', target: 'primary', layer: 'up' },
        { atSeconds: 65, vantage: 'eu-west-1', target: 'primary', layer: 'transport' },
        { atSeconds: 75, vantage: 'eu-west-1', target: 'primary', layer: 'transport' },
        { atSeconds: 65, vantage: 'eu-west-1', target: 'beacon', layer: 'transport' },
      ],
      ledgerBehind: [
        { atSeconds: 40, region: 'us-east-1', behind: 0 },
        { atSeconds: 271, region: 'eu-west-1', behind: 12 },
        { atSeconds: 275, region: 'eu-west-1', behind: 0 },
      ],
      rotations: [],
      processCrashes: [],
      awsCalls: {},
      harnessErrors: [],
      simulatedSeconds: 330,
      wallSeconds: 1,
    },
    ...overrides,
  };
}

describe('drill timeline', () => {
  it('names every event as the game day does, in time order, and marks what the gate and the orchestrator did', () => {
    const events = timelineEvents(run(), 60.5);
    expect(events.every((e) => (TIMELINE_EVENTS as readonly string[]).includes(e.event))).toBe(true);
    expect(events.map((e) => e.atSeconds)).toEqual([...events.map((e) => e.atSeconds)].sort((a, b) => a - b));
    expect(events.map((e) => [e.atSeconds, e.event])).toEqual([
      [60.5, 'fault-start'],
      [61, 'first-failed-order'],
      [65, 'gate-vote'],
      [90, 'fence'],
      [92, 'first-live-order-secondary'],
      [120, 'decision'],
      [150, 'promotion-started'],
      [270, 'promotion-complete'],
      // Not 40 s (before the promotion, in the old writer): the new writer's applier at 0 behind.
      [275, 'ledger-caught-up'],
    ]);
    // A vote only when a canary's reading changes; a decision only when the orchestrator acted.
    expect(events.find((e) => e.event === 'gate-vote')!.detail).toBe('eu-west-1: transport');
    expect(events.find((e) => e.event === 'decision')!.detail).toBe('move-writer (schedule)');
  });

  it('draws the orders, each canary band and the events as SVG, the same bytes for the same run', () => {
    const timeline = drillTimeline(run(), 60.5, 330);
    const svg = timelineSvg(timeline);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('eu-west-1 primary');
    expect(svg).toContain('eu-west-1 beacon');
    expect(svg).toContain('90 s fence: book writer to eu-west-1, epoch 2');
    expect(svg).toContain('region-outage (seed 3): pass');
    // Acknowledged bars up (green), refused down (red).
    expect(svg).toMatch(/<rect [^>]*fill="#2e7d32"\/>/);
    expect(svg).toMatch(/<rect [^>]*fill="#c62828"\/>/);
    expect(timelineSvg(drillTimeline(run(), 60.5, 330))).toBe(svg);
    expect(timelineSvg(drillTimeline(run({ title: 'a < b & c' }), 60.5, 330))).toContain('a &lt; b &amp; c');
  });
});

describe("docs/failover-drill.md's timeline pictures", () => {
  const dir = path.join(__dirname, '..', 'docs', 'drill');
  const timelines = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(timelines)('%s: the committed SVG is the current drawing of the committed run', (file) => {
    const timeline = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as DrillTimeline;
    expect(fs.readFileSync(path.join(dir, file.replace(/\.json$/, '.svg')), 'utf8')).toBe(timelineSvg(timeline));
    expect(timeline.events.every((e) => (TIMELINE_EVENTS as readonly string[]).includes(e.event))).toBe(true);
  });

  it('shows at least one run', () => expect(timelines.length).toBeGreaterThan(0));
});

describe('drill table over seeded runs', () => {
  it('p50/p99 by nearest rank over the runs, with runs that never got there counted', () => {
    expect(spread([30, 10, 20, 40])).toBe('20 s / 40 s');
    expect(spread([null, 10])).toBe('10 s / 10 s (1 never)');
    expect(spread([null])).toBe('never');
  });

  it('one row per scenario: promotions seen, totals over the runs, and every failing run with its replay command', () => {
    const failing = run(
      {
        passed: false,
        failures: ['first live order 61.5 s after the fault > 60 s bound'],
        metrics: { ...run().metrics, firstLiveSeconds: 61.5, lost: 1 },
      },
      4,
    );
    expect(byScenario([run(), failing]).map((g) => g.length)).toEqual([2]);
    const lines = drillReport([run(), failing], PLAIN);
    expect(lines[2].trim().split(/ {2,}/)).toEqual([
      'region-outage',
      '2',
      '1 (want 1)',
      '29.5 s / 29.5 s',
      '31.5 s / 61.5 s',
      '1',
      '0',
      '0',
      '0',
      'FAIL 1/2',
    ]);
    expect(lines).toContain('  region-outage seed 4: npm run drill -- --scenario region-outage --replay 4');
  });
});

describe('settings the config must refuse', () => {
  const scenario = scenarios.find((s) => s.name === 'ingress-blinds-gate')!;

  it('an allowlist that shuts out the canaries is refused naming the key: 0 promotions, a pass', () => {
    const result = runConfigScenario(scenario, { stack: 'dev' }, 1);
    expect(result.passed).toBe(true);
    expect(result.metrics.promotions).toBe(0);
    expect(result.configRefusal).toMatch(/^allowedIngressCidrs: would shut out the failover canaries/);
  });

  it('fails when the config accepts the setting', () => {
    const accepted = {
      ...scenario,
      refusedByConfig: { set: { allowedIngressCidrs: '0.0.0.0/0' }, key: 'allowedIngressCidrs' },
    };
    const result = runConfigScenario(accepted, { stack: 'dev' }, 1);
    expect(result.passed).toBe(false);
    expect(result.failures[0]).toMatch(/^the config accepted/);
  });
});
