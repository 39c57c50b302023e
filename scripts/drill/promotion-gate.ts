/** The gate's worst case as the drill reads it (the facts only: no function runtime is loaded). */
import { worstCaseTimeToPromotion } from '../../lambda/facts/timing';

/** Worst-case seconds from a dead primary to the promotion call, for the configured gate. */
export function promotionGateSeconds(s: { probeIntervalSeconds: number; recoveryWindowSeconds: number }): number {
  return worstCaseTimeToPromotion({
    failoverProbeIntervalSeconds: s.probeIntervalSeconds,
    failoverRecoveryWindowSeconds: s.recoveryWindowSeconds,
  }).totalSeconds;
}
