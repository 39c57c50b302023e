/**
 * Fencing through Global Accelerator: traffic dials move users off the old primary before the
 * database is promoted, and back only on an explicit failback. The Global Accelerator API lives in
 * us-west-2, so none of this depends on us-east-1. What was changed is recorded before it is
 * changed, so a failback can restore it even if this invocation dies half-way.
 */
import {
  DescribeEndpointGroupCommand,
  GlobalAcceleratorClient,
  UpdateEndpointGroupCommand,
} from '@aws-sdk/client-global-accelerator';
import type { DialChange, EvidenceStore, FenceRecord } from './store';

export interface EndpointGroups {
  readonly primaryEndpointGroupArn: string;
  readonly secondaryEndpointGroupArn: string;
}

export type AcceleratorApi = Pick<GlobalAcceleratorClient, 'send'>;

async function currentDial(ga: AcceleratorApi, arn: string): Promise<{ dial: number; region: string }> {
  const { EndpointGroup } = await ga.send(new DescribeEndpointGroupCommand({ EndpointGroupArn: arn }));
  if (EndpointGroup?.TrafficDialPercentage === undefined) throw new Error(`endpoint group ${arn} has no traffic dial`);
  return { dial: EndpointGroup.TrafficDialPercentage, region: EndpointGroup.EndpointGroupRegion ?? 'unknown' };
}

/** Only the dial is sent: the endpoints (the old primary's ALB may be down) are left as they are. */
async function setDial(ga: AcceleratorApi, arn: string, dial: number): Promise<void> {
  await ga.send(new UpdateEndpointGroupCommand({ EndpointGroupArn: arn, TrafficDialPercentage: dial }));
}

/**
 * Send all traffic to the secondary: its dial to 100 first, then the primary's to 0, so there is
 * never a moment with every dial at 0. Re-running it (after a crash) re-applies the first record.
 */
export async function fenceTraffic(
  ga: AcceleratorApi,
  store: EvidenceStore,
  name: string,
  groups: EndpointGroups,
  now: number,
  reason: string,
): Promise<FenceRecord> {
  let record = await store.getFence(name);
  if (!record) {
    const secondary = await currentDial(ga, groups.secondaryEndpointGroupArn);
    const primary = await currentDial(ga, groups.primaryEndpointGroupArn);
    const changes: DialChange[] = [
      {
        endpointGroupArn: groups.secondaryEndpointGroupArn,
        region: secondary.region,
        before: secondary.dial,
        after: 100,
      },
      { endpointGroupArn: groups.primaryEndpointGroupArn, region: primary.region, before: primary.dial, after: 0 },
    ];
    record = await store.createFence(name, { fencedAt: now, reason, changes });
  }
  for (const change of record.changes) await setDial(ga, change.endpointGroupArn, change.after);
  return record;
}

/** Put every recorded dial back, in reverse order (the primary comes back before the secondary goes). */
export async function restoreTraffic(
  ga: AcceleratorApi,
  store: EvidenceStore,
  name: string,
  record: FenceRecord,
): Promise<void> {
  for (const change of [...record.changes].reverse()) await setDial(ga, change.endpointGroupArn, change.before);
  await store.deleteFence(name, record.fencedAt);
}
