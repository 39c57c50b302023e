/**
 * What the docs say about game days, generated (`npm run docs`) so it cannot drift: the
 * experiments table of the game-day runbook (what each injects, what it costs, what clients see,
 * what the gate must do, and what stands for it offline) and whether the README's RTO numbers
 * are estimates or measurements.
 */
import { CALIBRATED_INPUT_NAMES } from '../../lib/model/calibration';
import { GAME_DAY_EXPERIMENTS, GAME_DAYS } from '../../lib/model/game-day-catalog';
import { MEASURED_INPUTS } from '../../lib/model/game-day-results';
import { templateSpecs } from '../../lib/observe/game-days';
import { OFFLINE_FAULTS } from './drill-driver';
import type { StackCalibration } from './results-file';

/**
 * AWS FIS bills each action for the minutes it runs, rounded to the nearest minute: $0.10 per
 * action-minute outside GovCloud (https://aws.amazon.com/fis/pricing/). Templates cost nothing.
 */
export const FIS_USD_PER_ACTION_MINUTE = 0.1;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The runbook's table of the stack's experiments. */
export function gameDayTable(): string {
  const placeholder = 'arn:aws:placeholder';
  const specs = templateSpecs({
    publicSubnetArns: [placeholder],
    privateSubnetArns: [placeholder],
    clusterArn: placeholder,
    autoScalingGroupArn: placeholder,
    lostZone: 'use1-az1',
    peerRegion: 'eu-west-1',
    bookTableArn: placeholder,
  });
  const rows = GAME_DAY_EXPERIMENTS.map((id) => {
    const game = GAME_DAYS[id];
    const actions = specs[id].actions;
    // A one-shot action (a cluster failover) runs for under a minute: billed as at most one.
    const actionMinutes = actions.length * Math.max(1, game.minutes);
    const cost = `${actions.length} action${actions.length === 1 ? '' : 's'} x ${game.minutes === 0 ? 'under 1 minute' : `${game.minutes} minutes`}: about $${(actionMinutes * FIS_USD_PER_ACTION_MINUTE).toFixed(2)} a run`;
    const offline = OFFLINE_FAULTS[id];
    return `| \`${id}\` | ${cell(game.description)} | ${cost} | ${cell(game.clientsSee)} | ${cell(game.expected.why)} | ${cell(offline.drillFault)}; ${cell(offline.differs)} |`;
  });
  return [
    '| experiment | what it injects | FIS cost | what clients see | what the gate must do | offline (`npm test`): the drill fault, and how it differs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Whether the model's numbers for `stack` are estimates or calibrated by game days, and by what. */
export function rtoBasis(stack: string, { calibration, file }: Pick<StackCalibration, 'calibration' | 'file'>): string {
  const calibrated = MEASURED_INPUTS.filter((i) => calibration[i]);
  if (calibrated.length === 0)
    return `estimates: no game day has measured the ${stack} stack yet, so Aurora's promotion, Global Accelerator's reaction and Route 53's failover answer are the documented or configured values (the resolvers' cache always is the TTL)`;
  const offline = calibrated.some((i) => calibration[i]!.offline);
  const what = calibrated
    .map(
      (i) =>
        `${CALIBRATED_INPUT_NAMES[i]} (${calibration[i]!.values.length} run${calibration[i]!.values.length === 1 ? '' : 's'}, ${calibration[i]!.dates.join(', ')})`,
    )
    .join('; ');
  return `calibrated by game days (${file}): ${what}${offline ? '; offline runs included, which are drill fakes, not AWS measurements' : ''}; every other input is an estimate`;
}
