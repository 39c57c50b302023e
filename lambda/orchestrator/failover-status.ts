/**
 * The failover state as the orchestrator sees it, read-only (`npm run status`): who writes the
 * order book (each replica's writer item), the global cluster, the fence record with the dials it
 * moved, the gate's verdict with each canary's vote (the same assessment the orchestrator acts on)
 * and the accelerator's traffic dials. Nothing here writes; a reading that fails is shown as such.
 */
import { DescribeEndpointGroupCommand } from '@aws-sdk/client-global-accelerator';
import { errorText } from './aws-errors';
import { EvidenceReader } from './evidence-reader';
import { assessGate, type GateAssessment } from './gate-assessment';
import type { ClusterReading } from './global-cluster';
import type { OrchestratorDeps } from './orchestrator-deps';
import type { BookWriter } from './order-book';
import type { FenceRecord } from './store';

export type Reading<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface DialReading {
  readonly group: 'primary' | 'secondary';
  readonly endpointGroupArn: string;
  readonly region?: string;
  readonly trafficDialPercentage?: number;
  readonly endpoints: readonly { readonly id?: string; readonly health?: string }[];
}

export interface FailoverStatus {
  readonly at: number;
  /** Each replica's writer item (they differ while a move replicates). */
  readonly bookWriters: readonly { readonly region: string; readonly writer: Reading<BookWriter> }[];
  readonly cluster: ClusterReading;
  readonly fence: Reading<FenceRecord | undefined>;
  readonly gate: GateAssessment | { readonly kind: 'error'; readonly reason: string };
  readonly dials: readonly Reading<DialReading>[];
}

async function reading<T>(read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
}

async function readDial(
  deps: Pick<OrchestratorDeps, 'ga'>,
  group: DialReading['group'],
  arn: string,
): Promise<DialReading> {
  const { EndpointGroup: g } = await deps.ga.send(new DescribeEndpointGroupCommand({ EndpointGroupArn: arn }));
  return {
    group,
    endpointGroupArn: arn,
    ...(g?.EndpointGroupRegion && { region: g.EndpointGroupRegion }),
    ...(g?.TrafficDialPercentage !== undefined && { trafficDialPercentage: g.TrafficDialPercentage }),
    endpoints: (g?.EndpointDescriptions ?? []).map((e) => ({ id: e.EndpointId, health: e.HealthState })),
  };
}

/** Everything at once (each read bounded by its client's own settings); `regions`: the book's replicas. */
export async function readFailoverStatus(deps: OrchestratorDeps, regions: readonly string[]): Promise<FailoverStatus> {
  const { config, clock, store, book } = deps;
  const at = clock.now();
  const evidence = new EvidenceReader(deps, config.globalClusterId);
  const [bookWriters, cluster, fence, gate, dials] = await Promise.all([
    Promise.all(
      regions.map(async (region) => ({
        region,
        writer: book
          ? await reading(() => book.readWriter(region))
          : ({ ok: false, error: 'no order book configured' } as const),
      })),
    ),
    evidence.readCluster(),
    reading(() => store.getFence(config.globalClusterId)),
    assessGate(deps, evidence, at).catch((e: unknown) => ({ kind: 'error' as const, reason: errorText(e) })),
    Promise.all([
      reading(() => readDial(deps, 'primary', config.primaryEndpointGroupArn)),
      reading(() => readDial(deps, 'secondary', config.secondaryEndpointGroupArn)),
    ]),
  ]);
  return { at, bookWriters, cluster, fence, gate, dials };
}
