/** A drill worker: argv[2] = {"stack", "overrides", "names"}; each result goes back over IPC. */
import { runInProcess } from './index';
import { drillSettings } from './settings';

const { stack, overrides, names } = JSON.parse(process.argv[2]) as {
  stack: string;
  overrides: Record<string, string>;
  names: string[];
};

// The parent is gone (killed, or its test timed out): stop, and take the servers down with us.
process.on('disconnect', () => process.exit(1));

runInProcess(drillSettings(stack, overrides), names, (result) => process.send!({ result })).then(
  () => process.exit(0),
  (e) => {
    process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1));
  },
);
