/**
 * Whether a game day may run against a stack, decided before anything is started: the stack
 * must have its experiment templates, and a stack that keeps data (`dataProtection: protected`)
 * is refused unless the operator says explicitly that they accept it. Pure.
 */
import type { Settings } from '../../lib/config';

export const ACCEPT_PROTECTED_FLAG = '--i-accept-protected';

export function refusal(
  stack: string,
  settings: Pick<Settings, 'dataProtection' | 'gameDays'>,
  acceptProtected: boolean,
): string | undefined {
  if (settings.dataProtection === 'protected' && !acceptProtected) {
    return `stack "${stack}" has dataProtection: protected: a game day injects real faults into a stack whose data is kept. Follow the runbook (docs/runbooks/game-day.md: freeze deploys, tell the desks), then pass ${ACCEPT_PROTECTED_FLAG} to run it anyway`;
  }
  if (settings.gameDays !== 'enabled') {
    return `stack "${stack}" has gameDays: disabled, so it has no experiment templates: set gameDays: enabled and deploy it first`;
  }
  return undefined;
}
