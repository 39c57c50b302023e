/**
 * The orders on a run's timeline (scripts/drill/timeline.ts): answers per second, the first order
 * after the fault that got no acknowledgement, the first live order eu-west-1 gave after it.
 */
import type { Acknowledgement, Attempt } from './client';

/** What a run's clients saw (metrics.ts MeasureInput has it). */
export interface OrdersSeen {
  readonly epoch: number;
  readonly end: number;
  readonly acks: readonly { readonly acks: readonly Acknowledgement[]; readonly attempts: readonly Attempt[] }[];
}

/** Acknowledged (200, 201) or not: 201 is live. */
const ACCEPTED = new Set([200, 201]);
const LIVE = 201;
const round = (seconds: number) => Math.round(seconds * 10) / 10;

/** Answers per second, the first failed order and the first live order in eu-west-1 after the fault. */
export function orderTimeline(input: OrdersSeen, faultAt: number) {
  const seconds = Math.ceil((input.end - input.epoch) / 1000);
  const ordersPerSecond = Array.from({ length: seconds }, (_, second) => ({ second, acknowledged: 0, refused: 0 }));
  const attempts = input.acks.flatMap((c) => c.attempts).sort((a, b) => a.at - b.at);
  for (const a of attempts) {
    const slot = ordersPerSecond[Math.min(seconds - 1, Math.floor((a.at - input.epoch) / 1000))];
    if (a.status !== undefined && ACCEPTED.has(a.status)) slot.acknowledged++;
    else slot.refused++;
  }
  const failed = attempts.find((a) => a.at >= faultAt && (a.status === undefined || a.status >= 500));
  const live = input.acks
    .flatMap((c) => c.acks)
    .filter((a) => a.at >= faultAt && a.status === LIVE && a.region === 'eu-west-1')
    .sort((a, b) => a.at - b.at)[0];
  const at = (ms: number | undefined) => (ms === undefined ? null : round((ms - input.epoch) / 1000));
  return { ordersPerSecond, firstFailedSeconds: at(failed?.at), firstLiveSecondarySeconds: at(live?.at) };
}
