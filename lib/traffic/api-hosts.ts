/** The names the order API answers to: pure, shared by the stack and the drill. */
import type { Settings } from '../config';
import { regionCode } from '../config/naming';

/** The name a region's ALB answers on directly (probes, operators): `use1.<domain>`. */
export function regionalName(settings: Pick<Settings, 'domainName'>, region: string): string {
  return `${regionCode(region)}.${settings.domainName}`;
}

/**
 * Every name the order API answers to in a region, which clients sign as the Host
 * (lambda/trading/signing.ts): the entry points (api., read., global.) and the region's own.
 * A request signed for any other name, another stack's included, is refused.
 */
export function apiHostNames(settings: Pick<Settings, 'domainName'>, region: string): string[] {
  return ['api', 'read', 'global'].map((p) => `${p}.${settings.domainName}`).concat(regionalName(settings, region));
}
