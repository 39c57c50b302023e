/**
 * A stack's game-day results file (`gameday/<stack>.json`, or one named on the command line) read
 * into the RTO model's calibration: what `npm run plan` and `npm run docs` calibrate the model with.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Calibration, calibrationFrom, CurrentSettings, ignoredRuns, IgnoredRuns } from '../../lib/model/calibration';
import { parseGameDayResults, resultsPath } from '../../lib/model/game-day-results';
import { PROJECT_DIR } from '../stack-files';

/** A results file named on the command line that does not exist. */
export class MissingResultsFile extends Error {}

export interface StackCalibration {
  /** The file read, relative to the project; absent when the stack has none. */
  readonly file?: string;
  readonly calibration: Calibration;
  /** Runs left out because the settings their spans depend on have changed since. */
  readonly ignored: IgnoredRuns;
}

/**
 * `file` when given (it must exist), else the stack's own file when it exists, else no calibration;
 * runs measured under other `current` settings left out.
 * Throws GameDayResultsError naming each bad field, or MissingResultsFile.
 */
export function stackCalibration(stack: string, current: CurrentSettings, file?: string): StackCalibration {
  const full = file ? path.resolve(file) : path.join(PROJECT_DIR, resultsPath(stack));
  if (!fs.existsSync(full)) {
    if (file) throw new MissingResultsFile(`No game-day results file ${file}`);
    return { calibration: {}, ignored: {} };
  }
  const source = path.relative(PROJECT_DIR, full);
  const results = parseGameDayResults(fs.readFileSync(full, 'utf8'), source, stack);
  return { file: source, calibration: calibrationFrom(results, current), ignored: ignoredRuns(results, current) };
}
