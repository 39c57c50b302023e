/**
 * `npm run status`'s report: the failover state (lambda/orchestrator/failover-status.ts) and the
 * lags, as lines an operator reads top-down in an incident. Pure: tested on its own and through
 * the drill.
 */
import type { OrchestratorConfig } from '../../lambda/orchestrator/config';
import type { FailoverStatus, Reading } from '../../lambda/orchestrator/failover-status';
import type { LagReading } from './lag';

const time = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const show = <T>(r: Reading<T>, text: (value: T) => string) => (r.ok ? text(r.value) : `unreadable (${r.error})`);
const regionOf = (arn: string) => arn.split(':')[3];

export function statusReport(
  stack: string,
  config: OrchestratorConfig,
  status: FailoverStatus,
  lags: readonly LagReading[],
): string[] {
  const lines = [`Failover state of stack ${stack} at ${time(status.at)}, read as the orchestrator reads it`, ''];

  lines.push('Order book writer (each replica, strongly consistent):');
  for (const { region, writer } of status.bookWriters)
    lines.push(
      `  ${region} replica: ${show(writer, (w) => `${w.region} writes, epoch ${w.epoch}, ${w.durability} durability`)}`,
    );
  const writers = status.bookWriters.filter((b) => b.writer.ok).map((b) => (b.writer.ok ? b.writer.value : undefined));
  if (new Set(writers.map((w) => `${w?.region}#${w?.epoch}`)).size > 1)
    lines.push('  the replicas differ: a move is replicating (the higher epoch wins)');

  const cluster =
    status.cluster.kind === 'primary-writer'
      ? `${regionOf(config.primaryClusterArn)} writes (the configured primary)`
      : status.cluster.kind === 'secondary-writer'
        ? `${regionOf(config.secondaryClusterArn)} writes (promoted or switched over)`
        : status.cluster.kind === 'in-flight'
          ? `in flight: ${status.cluster.reason}`
          : `not understood: ${status.cluster.reason}`;
  lines.push('', `Aurora global cluster ${config.globalClusterId}: ${cluster}`);

  lines.push(
    `Fence: ${show(status.fence, (f) =>
      f
        ? [
            `fenced at ${time(f.fencedAt)} (${f.reason})`,
            ...f.changes.map((c) => `dial ${c.region} ${c.before} % -> ${c.after} %`),
            ...(f.failbackRequestedAt ? [`failback requested at ${time(f.failbackRequestedAt)}`] : []),
            ...(f.promotionRefused
              ? [`promotion refused at ${time(f.promotionRefused.at)}: ${f.promotionRefused.reason}`]
              : []),
          ].join('; ')
        : 'none (traffic as deployed)',
    )}`,
  );

  lines.push('');
  if (status.gate.kind !== 'verdict') {
    lines.push(`Gate: evidence unreadable, the gate stays closed (${status.gate.reason})`);
  } else {
    const g = status.gate.gate;
    const state = g.regionGone ? 'REGION GONE (fast path)' : g.open ? 'OPEN (slow path)' : 'closed';
    lines.push(`Gate: ${state}: ${g.regionGone ? g.goneReason : g.reason}`);
    lines.push(`  votes: ${g.downVotes} down, ${g.upVotes} up (of ${config.vantages.length} canaries)`);
    for (const v of g.votes)
      lines.push(`  ${v.source}: ${v.vote}${v.gone ? ', region gone' : ''} (${v.reason}; ${v.evidence.length} probes)`);
    if (g.corroboration.length > 0) lines.push(`  corroboration: ${g.corroboration.join('; ')}`);
  }

  lines.push('', 'Traffic dials (Global Accelerator):');
  for (const d of status.dials)
    lines.push(
      `  ${show(
        d,
        (v) =>
          `${v.group} ${v.region ?? '?'}: ${v.trafficDialPercentage ?? '?'} %` +
          (v.endpoints.length > 0 ? `, endpoints ${v.endpoints.map((e) => `${e.health ?? '?'}`).join(', ')}` : ''),
      )}`,
    );

  lines.push('', 'Lag (worst minute of the last 5):');
  for (const l of lags)
    lines.push(
      `  ${l.label} (${l.region}): ${l.error ? `unreadable (${l.error})` : l.worstMs === undefined ? 'no data' : `${Math.round(l.worstMs)} ms`}`,
    );
  return lines;
}
