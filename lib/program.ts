import * as pulumi from '@pulumi/pulumi';
import { parseSettings, readRawConfig, Settings } from './config';
import { enforcePreflight } from './preflight/account-preflight';
import { TapStack } from './tap-stack';

/** This project's Pulumi config, validated: throws ConfigError listing every problem. */
export function loadSettings(): Settings {
  return parseSettings(readRawConfig(pulumi.getProject(), pulumi.runtime.allConfig()));
}

/**
 * The one TapStack of the program: its stack outputs, and the account preflight, which
 * resolves once the quotas are read and rejects with a PreflightError when the stack does not
 * fit them. The caller awaits it before handing over the outputs (index.ts).
 */
export function buildPlatform(settings: Settings): {
  outputs: Record<string, pulumi.Input<unknown>>;
  preflight: Promise<unknown>;
} {
  const stack = new TapStack('tap', { settings });
  return { outputs: stack.stackOutputs(), preflight: enforcePreflight(stack.preflight) };
}
