/** The names the order API answers to: pure, shared by the stack and the drill. */
import { regionalName } from './naming';

/**
 * Every name the order API answers to in a region, which clients sign as the Host
 * (lambda/trading/signing.ts, docs/signing.md): the entry points (api., read., global.) and the
 * region's own. A request signed for any other name, another stack's included, is refused.
 */
export function apiHostNames(settings: { readonly domainName: string }, region: string): string[] {
  return ['api', 'read', 'global'].map((p) => `${p}.${settings.domainName}`).concat(regionalName(settings, region));
}
