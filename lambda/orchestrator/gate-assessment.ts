/**
 * The gate's verdict at one instant, from the canaries' probes in the evidence store and the
 * AWS-side readings: what the orchestrator acts on (orchestrator.ts, evaluate) and what
 * `npm run status` shows, computed by the same code so the two cannot disagree.
 */
import { errorText, isPermissionError } from './aws-errors';
import type { EvidenceReader } from './evidence-reader';
import { evaluateGate, evidenceHorizon, gateSettings, type GateVerdict } from './gate';
import type { OrchestratorDeps } from './orchestrator-deps';

export type GateAssessment =
  | { readonly kind: 'verdict'; readonly gate: GateVerdict }
  /** The probes could not be read: the gate stays closed. */
  | { readonly kind: 'unreadable'; readonly reason: string };

export async function assessGate(
  deps: Pick<OrchestratorDeps, 'config' | 'store'>,
  evidence: Pick<EvidenceReader, 'readRoute53' | 'readAccelerator' | 'readFailoverRecord'>,
  now: number,
): Promise<GateAssessment> {
  const { config, store } = deps;
  const settings = gateSettings(
    {
      failoverProbeIntervalSeconds: config.probeIntervalSeconds,
      failoverRecoveryWindowSeconds: config.recoveryWindowSeconds,
      failoverFastWindowSeconds: config.fastWindowSeconds,
    },
    config.vantages,
  );
  let probes;
  try {
    probes = await store.probesSince(config.primaryRegion, evidenceHorizon(now, settings));
  } catch (e) {
    if (isPermissionError(e)) throw e;
    return { kind: 'unreadable', reason: errorText(e) };
  }
  const route53 = await evidence.readRoute53(now);
  const gate = evaluateGate({ now, settings, probes, route53 });
  // The accelerator's endpoint health and the failover record are read only when a canary says
  // the region is gone: they corroborate the fast path and nothing else.
  if (!gate.votes.some((v) => v.gone)) return { kind: 'verdict', gate };
  const [accelerator, failoverRecord] = await Promise.all([evidence.readAccelerator(), evidence.readFailoverRecord()]);
  return {
    kind: 'verdict',
    gate: evaluateGate({ now, settings, probes, route53, accelerator, ...(failoverRecord ? { failoverRecord } : {}) }),
  };
}
