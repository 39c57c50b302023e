import { buildPlatform, loadSettings } from './lib/program';

// Config is validated before the first resource exists; the exports are the stack outputs,
// once the account preflight has found the account's quotas fit the stack.
const platform = buildPlatform(loadSettings());
export = platform.preflight.then(() => platform.outputs);
