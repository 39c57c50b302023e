/** A drill worker: argv[2] = {"stack", "overrides", "jobs"}; each result goes back over IPC. */
import { type DrillJob, runInProcess } from './index';
import { drillSettings } from './settings';

const { stack, overrides, jobs } = JSON.parse(process.argv[2]) as {
  stack: string;
  overrides: Record<string, string>;
  jobs: DrillJob[];
};

// The parent is gone (killed, or its test timed out): stop, and take the servers down with us.
process.on('disconnect', () => process.exit(1));

runInProcess(drillSettings(stack, overrides), jobs, (result) => process.send!({ result })).then(
  () => process.exit(0),
  (e) => {
    process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1));
  },
);
