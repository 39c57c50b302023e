/** Each run's timeline written as `<scenario>-<seed>.json` and `.svg` under a folder (drill --out). */
import * as fs from 'fs';
import * as path from 'path';
import type { ScenarioResult } from './metrics';
import type { Scenario } from './scenarios';
import { drillTimeline } from './timeline';
import { timelineSvg } from './timeline-svg';

/** Writes every run's timeline; returns how many. Config scenarios (nothing ran) have none. */
export function writeTimelines(
  dir: string,
  results: readonly ScenarioResult[],
  scenarios: readonly Scenario[],
): number {
  fs.mkdirSync(dir, { recursive: true });
  let written = 0;
  for (const result of results) {
    const scenario = scenarios.find((s) => s.name === result.name);
    if (!scenario || scenario.refusedByConfig) continue;
    const timeline = drillTimeline(result, scenario.faultAtSeconds, scenario.durationSeconds);
    const base = path.join(dir, `${result.name}-${result.seed}`);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify(timeline, null, 2)}\n`);
    fs.writeFileSync(`${base}.svg`, timelineSvg(timeline));
    written++;
  }
  return written;
}
