import { buildPlatform, loadSettings, readAccount } from './lib/program';

// Config is validated before the first resource exists, then the account is read (AWS Config
// recorders, for awsConfigRecorder: auto); the exports are the stack outputs, once the account
// preflight has found the account's quotas fit the stack.
const settings = loadSettings();
export = readAccount(settings).then((account) => {
  const platform = buildPlatform(settings, account);
  return platform.preflight.then(() => platform.outputs);
});
