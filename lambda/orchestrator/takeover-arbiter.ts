/**
 * The orchestrator's side of the arbiter (lambda/shared/arbiter.ts): before any regional move it
 * takes the arbiter for the region it makes regional, held until released, which succeeds only
 * when the arbiter is free, already that region's, or the primary keeper's lease ended more than
 * the skew margin ago (lambda/facts/keeper.ts). Not taken (the keeper's lease runs, or us-west-2
 * does not answer): no regional move, and the next evaluation tries again. Once the writer is back
 * in the primary (a planned move), the hold is released so the primary's keeper may use it again.
 */
import { errorText, isPermissionError } from './aws-errors';
import type { OrchestratorDeps } from './orchestrator-deps';
import { regionOf } from './evidence-reader';

type Deps = Pick<OrchestratorDeps, 'arbiter' | 'clock' | 'logger' | 'config'>;

/** Undefined: the arbiter is `region`'s now (or no keeper is deployed); otherwise why not. */
export async function takeoverArbiter(deps: Deps, region: string): Promise<string | undefined> {
  const { arbiter, clock, logger } = deps;
  if (!arbiter) return undefined;
  try {
    if (await arbiter.take({ holder: region }, clock.now())) return undefined;
    const held = await arbiter.read().catch(() => undefined);
    const until = held?.until ? ` until ${new Date(held.until).toISOString()}` : '';
    return `the arbiter is held by ${held?.holder ?? 'another region'}${until}: no regional writer in ${region} until it is free`;
  } catch (e) {
    if (isPermissionError(e)) throw e;
    logger.error('arbiter not reached', { region, error: errorText(e) });
    return `the arbiter did not answer (${errorText(e)}): no regional writer in ${region}`;
  }
}

/** The writer is back in the primary: give back the secondary's hold (best effort: the next move to the primary retries). */
export async function releaseTakeover(deps: Deps): Promise<void> {
  try {
    await deps.arbiter?.release(regionOf(deps.config.secondaryClusterArn));
  } catch (e) {
    if (isPermissionError(e)) throw e;
    deps.logger.warn('arbiter not released; the next move to the primary releases it', { error: errorText(e) });
  }
}
