/**
 * What a game day measured, as `npm run gameday` writes it and `npm run plan` reads it back:
 * one file per stack (`gameday/<stack>.json`), one entry per run. The schema is the contract
 * between the two; a file that does not fit it is refused with the field that is wrong, never
 * half read (a calibration from a bad file would be worse than the estimate).
 */
import { z } from 'zod';
import { GAME_DAY_EXPERIMENTS } from './game-day-catalog';

/** The file's format version: bump it when a field changes meaning. */
export const RESULTS_VERSION = 1;

/** Where a stack's results live, relative to the project directory. */
export const resultsPath = (stack: string): string => `gameday/${stack}.json`;

/**
 * What the timeline records, in the order a regional failover goes through them (issue 27):
 * each is stamped when the gameday command sees it.
 */
export const TIMELINE_EVENTS = [
  'fault-start',
  'first-failed-order',
  'gate-vote',
  'decision',
  'fence',
  'alb-unhealthy',
  'accelerator-unhealthy',
  'accelerator-shifted',
  'route53-unhealthy',
  'dns-answers-secondary',
  'first-live-order-secondary',
  'promotion-started',
  'promotion-complete',
  'ledger-caught-up',
  'recovery',
  'fault-stop',
] as const;

export type TimelineEvent = (typeof TIMELINE_EVENTS)[number];

/**
 * The model inputs a game day measures, each the span between two timeline events, and what
 * it replaces in the RTO model (rto-paths.ts, samplePaths; calibration.ts, modelDraws). Spans are
 * at the poll's resolution (`--poll-seconds`): each end is stamped at the first poll that sees it.
 * - `promotionSeconds`: FailoverGlobalCluster started (the global cluster in flight) to the
 *   secondary writing: the median of Aurora's promotion (`dbPromotionEstimateSeconds`).
 * - `trafficShiftSeconds`: the fault's start to Global Accelerator reporting every primary
 *   endpoint UNHEALTHY (DescribeEndpointGroup through the us-west-2 API, what the orchestrator
 *   reads): the model's ALB detection plus the accelerator's undocumented pickup, i.e. the
 *   instant the accelerator stops routing to the primary by health (`acceleratorHealth`). Not
 *   `accelerator-shifted`, which a dial the orchestrator moved can cause first: that is the
 *   decision's doing, not the accelerator's. Nor from `alb-unhealthy`: target health is read
 *   through the API of the region the fault hits.
 * - `dnsSwitchSeconds`: the fault's start to the failover record answering the secondary, read
 *   from the zone's own name servers (no resolver cache): Route 53's checkers, its 18 % verdict
 *   and its answer changing (the model's `route53Detect`). The resolvers' caches after it are the
 *   users' and stay the configured TTL (`dnsTtlSeconds`): one vantage cannot measure them.
 */
export const MEASURED_SPANS = {
  promotionSeconds: ['promotion-started', 'promotion-complete'],
  trafficShiftSeconds: ['fault-start', 'accelerator-unhealthy'],
  dnsSwitchSeconds: ['fault-start', 'dns-answers-secondary'],
} as const satisfies Record<string, readonly [TimelineEvent, TimelineEvent]>;

export type MeasuredInput = keyof typeof MEASURED_SPANS;
export const MEASURED_INPUTS = Object.keys(MEASURED_SPANS) as MeasuredInput[];

/**
 * The stack's settings (Pulumi.yaml names) each span depends on: a span measured under other
 * values says nothing about the stack as it is now (the ALB's checks decide when the accelerator
 * sees the primary unhealthy, Route 53's checks when its answer changes), so calibration leaves
 * it out. Aurora's promotion depends on none of them. (Not typed against rto-inputs.ts, which
 * would close an import circle: the callers pass the parsed Settings, so tsc checks each key.)
 */
export const MEASURED_UNDER = {
  promotionSeconds: [],
  trafficShiftSeconds: ['albHealthCheckIntervalSeconds', 'albHealthCheckTimeoutSeconds', 'albUnhealthyThreshold'],
  dnsSwitchSeconds: ['route53HealthCheckIntervalSeconds', 'route53FailureThreshold'],
} as const satisfies Record<MeasuredInput, readonly string[]>;

export type MeasuredUnderKey = (typeof MEASURED_UNDER)[MeasuredInput][number];
export const MEASURED_UNDER_KEYS: readonly MeasuredUnderKey[] = [...new Set(Object.values(MEASURED_UNDER).flat())];

/** The settings a run's spans depend on, as `settings` holds them. */
export function settingsOfRun(settings: Readonly<Record<MeasuredUnderKey, number>>): Record<MeasuredUnderKey, number> {
  return Object.fromEntries(MEASURED_UNDER_KEYS.map((key) => [key, settings[key]])) as Record<MeasuredUnderKey, number>;
}

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-05T10:00:00Z' });
const seconds = z
  .number({ message: 'must be a number of seconds' })
  .positive({ message: 'must be a number of seconds above 0' })
  .max(3600, { message: 'must be at most 3600 seconds (a longer span is not a failover)' });

export const timelineEntrySchema = z
  .object({
    at: instant,
    event: z.enum(TIMELINE_EVENTS, { message: `must be one of ${TIMELINE_EVENTS.join(', ')}` }),
    detail: z.string().optional(),
  })
  .strict();

export const gameDayRunSchema = z
  .object({
    experiment: z.enum(GAME_DAY_EXPERIMENTS, { message: `must be one of ${GAME_DAY_EXPERIMENTS.join(', ')}` }),
    /** `aws`: a real FIS experiment; `offline`: the drill's fakes (exercises the loop, measures nothing real). */
    source: z.enum(['aws', 'offline'], { message: 'must be aws or offline' }),
    experimentId: z.string().min(1).optional(),
    startedAt: instant,
    finishedAt: instant,
    /** How the experiment ended: completed, stopped (Ctrl-C or a stop condition) or failed. */
    outcome: z.enum(['completed', 'stopped', 'failed'], { message: 'must be completed, stopped or failed' }),
    measured: z
      .object({ promotionSeconds: seconds, trafficShiftSeconds: seconds, dnsSwitchSeconds: seconds })
      .partial()
      .strict(),
    /**
     * The settings its spans depend on (MEASURED_UNDER), as the stack had them. Absent in files
     * written before they were recorded: those runs count as measured under today's settings.
     */
    settings: z
      .object(
        Object.fromEntries(
          MEASURED_UNDER_KEYS.map((key) => [
            key,
            z.number({ message: 'must be a number' }).positive({ message: 'must be above 0' }),
          ]),
        ) as Record<MeasuredUnderKey, z.ZodNumber>,
      )
      .strict()
      .optional(),
    timeline: z.array(timelineEntrySchema),
  })
  .strict()
  .refine((r) => Date.parse(r.finishedAt) >= Date.parse(r.startedAt), {
    message: 'finishedAt is before startedAt',
    path: ['finishedAt'],
  });

export const gameDayResultsSchema = z
  .object({
    version: z.literal(RESULTS_VERSION, { message: `must be ${RESULTS_VERSION}` }),
    stack: z.string().min(1, { message: 'must name the stack' }),
    runs: z.array(gameDayRunSchema),
  })
  .strict();

export type GameDayRun = z.output<typeof gameDayRunSchema>;
export type GameDayResults = z.output<typeof gameDayResultsSchema>;

/** A results file that does not fit the schema: every problem, each naming its field. */
export class GameDayResultsError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a game-day results file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'GameDayResultsError';
  }
}

/** `runs[0].measured.promotionSeconds` from zod's path. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)),
    '',
  );
}

/** Parse a results file's text for `stack`; throws GameDayResultsError naming each bad field. */
export function parseGameDayResults(text: string, file: string, stack: string): GameDayResults {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GameDayResultsError(file, [`not JSON: ${(e as Error).message}`]);
  }
  const result = gameDayResultsSchema.safeParse(json);
  if (!result.success) {
    throw new GameDayResultsError(
      file,
      result.error.issues.map((i) => `${fieldName(i.path) || '(file)'}: ${i.message}`),
    );
  }
  if (result.data.stack !== stack) {
    throw new GameDayResultsError(file, [`stack: is "${result.data.stack}", this is stack "${stack}"`]);
  }
  return result.data;
}

/** The spans a timeline measures (only those whose two events are both in it, in order). */
export function measuredFrom(timeline: readonly { at: string; event: TimelineEvent }[]): GameDayRun['measured'] {
  const first = (event: TimelineEvent) => timeline.find((e) => e.event === event);
  const measured: Partial<Record<MeasuredInput, number>> = {};
  for (const input of MEASURED_INPUTS) {
    const [from, to] = MEASURED_SPANS[input];
    const start = first(from);
    const end = first(to);
    if (!start || !end) continue;
    const span = (Date.parse(end.at) - Date.parse(start.at)) / 1000;
    if (span > 0) measured[input] = span;
  }
  return measured;
}
