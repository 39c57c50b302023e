import * as pulumi from '@pulumi/pulumi';
import { parseSettings, readRawConfig, Settings } from './config';
import { TapStack } from './tap-stack';

/** This project's Pulumi config, validated: throws ConfigError listing every problem. */
export function loadSettings(): Settings {
  return parseSettings(readRawConfig(pulumi.getProject(), pulumi.runtime.allConfig()));
}

/** The one TapStack of the program; returns the stack outputs. */
export function buildPlatform(settings: Settings): Record<string, pulumi.Input<unknown>> {
  return new TapStack('tap', { settings }).stackOutputs();
}
