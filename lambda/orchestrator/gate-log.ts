/** The gate's verdict as the orchestrator logs and journals it. */
import type { GateVerdict } from './gate';

/** The gate's verdict with its evidence, compact enough to log every evaluation. */
export function gateLog(gate: GateVerdict) {
  return {
    open: gate.open,
    reason: gate.reason,
    downVotes: gate.downVotes,
    upVotes: gate.upVotes,
    regionGone: gate.regionGone,
    goneReason: gate.goneReason,
    corroboration: gate.corroboration,
    votes: gate.votes.map((v) => ({
      source: v.source,
      vote: v.vote,
      gone: v.gone,
      reason: v.reason,
      probes: v.evidence.map((p) => `${new Date(p.startedAt).toISOString()} ${p.target} ${p.layer} ${p.detail}`),
    })),
  };
}
