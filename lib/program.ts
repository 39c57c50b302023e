import * as pulumi from '@pulumi/pulumi';
import { parseSettings, readRawConfig } from './config';
import { TapStack } from './tap-stack';

/**
 * The program: validate config (before any resource exists), then build the one TapStack.
 * index.ts exports what this returns; the offline runner and the tests call it the same way.
 */
export function program(): Record<string, pulumi.Input<unknown>> {
  const settings = parseSettings(readRawConfig(pulumi.getProject(), pulumi.runtime.allConfig()));
  const tap = new TapStack('tap', { settings });
  return tap.stackOutputs();
}
