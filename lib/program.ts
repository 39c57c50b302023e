import * as pulumi from '@pulumi/pulumi';
import { parseSettings, readRawConfig, Settings } from './config';
import { enforcePreflight } from './preflight/account-preflight';
import { describeRecorders, existingRecorders, RecorderReader } from './preflight/existing-recorders';
import { AccountState, TapStack } from './tap-stack';

/** This project's Pulumi config, validated: throws ConfigError listing every problem. */
export function loadSettings(): Settings {
  return parseSettings(readRawConfig(pulumi.getProject(), pulumi.runtime.allConfig()));
}

/**
 * The one TapStack of the program: its stack outputs, and the account preflight, which
 * resolves once the quotas are read and rejects with a PreflightError when the stack does not
 * fit them. The caller awaits it before handing over the outputs (index.ts).
 */
export function buildPlatform(
  settings: Settings,
  account: AccountState = {},
): {
  outputs: Record<string, pulumi.Input<unknown>>;
  preflight: Promise<unknown>;
} {
  const stack = new TapStack('tap', { settings, account });
  return { outputs: stack.stackOutputs(), preflight: enforcePreflight(stack.preflight) };
}

/**
 * What the program reads from the account before it constructs anything (AWS SDK calls made
 * while planning, where no data source exists): each region's AWS Config recorders when
 * `awsConfigRecorder` is auto. `read` is the SDK by default; the offline plan fakes it.
 */
export async function readAccount(settings: Settings, read: RecorderReader = describeRecorders): Promise<AccountState> {
  const regions = settings.regions.map((r) => r.region);
  return { configRecorders: await existingRecorders(settings.awsConfigRecorder, regions, read) };
}
