/**
 * A drill worker: argv[2] = {"stack", "overrides"}. It starts its server pair, says `ready`, then
 * runs each `job` the parent sends and answers with its `result`, until `done`.
 */
import { type DrillJob, inProcessRunner } from './index';
import { drillSettings } from './settings';

const { stack, overrides } = JSON.parse(process.argv[2]) as {
  stack: string;
  overrides: Record<string, string>;
};

// The parent is gone (killed, or its test timed out): stop, and take the servers down with us.
process.on('disconnect', () => process.exit(1));

const fail = (e: unknown) =>
  process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1));

inProcessRunner(drillSettings(stack, overrides)).then((runner) => {
  process.on('message', (message: { job?: DrillJob; done?: boolean }) => {
    if (message.job)
      runner.run(message.job).then(
        (result) => process.send!({ result }),
        (e) => runner.close().finally(() => fail(e)),
      );
    else if (message.done) runner.close().then(() => process.exit(0), fail);
  });
  process.send!({ ready: true });
}, fail);
