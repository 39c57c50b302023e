/**
 * The primary keeper's environment: its contract with the component that deploys it
 * (lib/failover/keeper.ts builds it through this schema at plan time) and with its handler
 * (config.ts parses process.env through it, with the AWS_REGION Lambda sets, then checks the
 * regions against each other). Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { awsRegion as region, requiredText as text } from '../facts/env';

export const keeperEnvironment = z.object({
  BOOK_TABLE_NAME: text.describe("The live order book's global table: the writer item in both replicas"),
  PEER_REGION: region.describe("The other replica's region (the secondary): the peer the keeper watches"),
  ARBITER_TABLE: text.describe('The arbiter table (a plain table in a third region): the regional-durability lease'),
  ARBITER_TABLE_REGION: region.describe("The arbiter table's region: neither the keeper's nor its peer's"),
  ENVIRONMENT: text,
  METRIC_NAMESPACE: text.optional().describe('Where Powertools publishes the keeper metrics'),
});

export type KeeperEnvironment = z.output<typeof keeperEnvironment>;
