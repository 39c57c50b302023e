/**
 * A stack's game-day results file (`gameday/<stack>.json`, or one named on the command line) read
 * into the RTO model's calibration: what `npm run plan` and `npm run docs` calibrate the model with.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Calibration, calibrationFrom } from '../../lib/model/calibration';
import { parseGameDayResults, resultsPath } from '../../lib/model/game-day-results';
import { PROJECT_DIR } from '../stack-files';

/** A results file named on the command line that does not exist. */
export class MissingResultsFile extends Error {}

export interface StackCalibration {
  /** The file read, relative to the project; absent when the stack has none. */
  readonly file?: string;
  readonly calibration: Calibration;
}

/**
 * `file` when given (it must exist), else the stack's own file when it exists, else no calibration.
 * Throws GameDayResultsError naming each bad field, or MissingResultsFile.
 */
export function stackCalibration(stack: string, file?: string): StackCalibration {
  const full = file ? path.resolve(file) : path.join(PROJECT_DIR, resultsPath(stack));
  if (!fs.existsSync(full)) {
    if (file) throw new MissingResultsFile(`No game-day results file ${file}`);
    return { calibration: {} };
  }
  const source = path.relative(PROJECT_DIR, full);
  return {
    file: source,
    calibration: calibrationFrom(parseGameDayResults(fs.readFileSync(full, 'utf8'), source, stack)),
  };
}
