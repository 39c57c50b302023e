/**
 * Phase 3 of the platform: what exists once, spans both regions and the application reads. The
 * credentials (secrets in the primary, replicated to the secondary), the live order book (a
 * global table created through the primary with a replica in the secondary: it is no part of a
 * region's DatabaseStack), the schema migrated through the primary's writer, and the domain with
 * each region's certificate. All are TapStack's children, in the primary region.
 */
import { ByRole } from '../config/by-role';
import { namer } from '../config/naming';
import { CredentialsStack } from '../data/credentials-stack';
import { DatabaseSchema } from '../data/database-schema';
import { GlobalDatabase } from '../data/global-database';
import { OrderBook } from '../data/order-book';
import { RegionData, RegionScope, SharedData } from './region-bundle';
import { Domain } from '../traffic/domain';

export function sharedData(scope: RegionScope, data: ByRole<RegionData>, globalDatabase: GlobalDatabase): SharedData {
  const { settings } = scope;
  const name = namer(settings.environmentSuffix);
  const { primary: p, secondary } = data;
  const credentials = new CredentialsStack(
    name('credentials'),
    { settings, name, globalDatabase, regions: data },
    p.opts,
  );
  const book = new OrderBook(name('orderBook'), { settings, name, regions: [p, secondary] }, p.opts);
  const schema = new DatabaseSchema(
    p.name('databaseSchema'),
    {
      settings,
      region: p.settings,
      name: p.name,
      codeSigning: p.codeSigning,
      network: p.network,
      peerNetwork: secondary.network,
      database: p.database,
      master: credentials.master,
      keys: p.keys,
    },
    p.opts,
  );
  // The zone and, with TLS, each region's validated certificate: the listeners need them.
  const domain = new Domain(
    name('domain'),
    {
      settings,
      name,
      regions: [p, secondary].map((r) => ({
        role: r.role,
        region: r.region,
        provider: r.provider,
        certificateArn: r.settings.certificateArn,
      })),
    },
    p.opts,
  );
  return { credentials, book, schema, domain };
}
