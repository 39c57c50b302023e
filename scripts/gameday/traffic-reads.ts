/**
 * The game day's traffic reads, thin: Route 53's checkers and the failover record's answer through
 * the orchestrator's own EvidenceReader (readRoute53, readFailoverRecord), the record asked of
 * the hosted zone's own name servers where the stack exports them (`hostedZoneNameServers`).
 * The dials and endpoint health come with `npm run status`'s reading (FailoverStatus.dials).
 *
 * Why the zone's name servers: a recursive resolver answers from its cache for up to the TTL, so
 * the instant it names the secondary mixes Route 53's switch with that cache; the authoritative
 * servers answer what Route 53 answers now. node:dns `Resolver` queries the servers it is given
 * over the network, without /etc/hosts or a local cache (Node.js DNS docs: every function but
 * dns.lookup() "will always use the network to perform DNS queries"; resolver.setServers()).
 */
import { Resolver, resolve4 } from 'node:dns/promises';
import { z } from 'zod';
import { EvidenceReader } from '../../lambda/orchestrator/evidence-reader';
import type { OrchestratorDeps } from '../../lambda/orchestrator/orchestrator-deps';
import type { StackOutputs } from '../stack-outputs';
import type { TrafficReading } from './traffic-events';

/** Route 53's checkers and the failover record, one short attempt each; unreadable is a reading. */
export async function readTraffic(deps: OrchestratorDeps, now: number, resolver?: string): Promise<TrafficReading> {
  const evidence = new EvidenceReader(deps, deps.config.globalClusterId);
  const [route53, record] = await Promise.all([evidence.readRoute53(now), evidence.readFailoverRecord()]);
  return { ...(route53 && { route53 }), ...(record && { record }), ...(resolver && { resolver }) };
}

/** The hosted zone's name servers from the stack's outputs; none when the output is missing. */
export function zoneNameServers(outputs: StackOutputs): string[] {
  const parsed = z.array(z.string().min(1)).min(1).safeParse(outputs.hostedZoneNameServers);
  return parsed.success ? parsed.data : [];
}

export interface ZoneResolver {
  readonly resolveCname: (name: string) => Promise<string[]>;
  /** Which servers answer (after the first resolveCname): said in the timeline. */
  readonly describe: () => string;
}

/** What the resolver is made of; tests pass their own. */
export interface DnsIo {
  /** A name server's IPv4 addresses (through the system's resolver: the NS names themselves do not move). */
  readonly addresses: (host: string) => Promise<string[]>;
  /** A resolver asking only `servers` (IP addresses). */
  readonly resolver: (servers: readonly string[]) => Pick<Resolver, 'resolveCname'>;
}

const nodeDns: DnsIo = {
  addresses: (host) => resolve4(host),
  resolver: (servers) => {
    const r = new Resolver({ timeout: 2000, tries: 1 });
    if (servers.length > 0) r.setServers([...servers]);
    return r;
  },
};

/**
 * The failover record asked of the zone's name servers; when none of them resolves (or the stack
 * exports none), the system's resolver, and the description says its answers may be cached.
 */
export function zoneResolver(nameServers: readonly string[], io: DnsIo = nodeDns): ZoneResolver {
  let described = 'the system resolver (not yet asked)';
  const ready = (async () => {
    const found = await Promise.all(nameServers.map((ns) => io.addresses(ns).catch(() => [] as string[])));
    const servers = found.flat();
    described =
      servers.length > 0
        ? `the zone's name servers (${nameServers.join(', ')})`
        : `the system resolver (${nameServers.length === 0 ? 'the stack exports no hostedZoneNameServers' : 'no name server of the zone resolved'}): answers may be cached up to the TTL`;
    return io.resolver(servers);
  })();
  return {
    resolveCname: async (name) => (await ready).resolveCname(name),
    describe: () => described,
  };
}
