/**
 * The order API's environment (the trading Lambda and the EC2 service): its contract with the
 * component that deploys it (lib/app/compute-stack.ts builds it through this schema at plan
 * time) and with its runtime (lambda/trading/runtime.ts reads the book's settings through
 * `parseBookSettings`). Pattern: lib/functions/function-environment.ts.
 *
 * Not yet the only reader: runtime.ts still reads the database and journal variables itself
 * (requireEnv / journalConfigFromEnv, shared with the journal auditor); the values are checked
 * here at plan time all the same.
 */
import { z } from 'zod';
import { JOURNAL_TIMEOUT_RANGE_MS } from '../facts/journal';
import { awsRegion, dbSsl, EnvError, parseEnv, requiredText, secretArn, wholeNumber } from '../facts/env';

const port = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1).max(65535);

/**
 * A DynamoDB interface endpoint's Regional endpoint-specific DNS name as an https URL
 * (`https://vpce-1a2b3c4d-5e6f.dynamodb.us-east-1.vpce.amazonaws.com`). AWS's DynamoDB developer
 * guide, "AWS PrivateLink for DynamoDB": private DNS is not supported, clients are pointed at this
 * URL; the name resolves publicly to the endpoint's private addresses, so a peered VPC in another
 * region reaches it without any DNS setup. The Zonal names (`...-us-east-1a.dynamodb...`) are refused:
 * one zone's loss would cut the path.
 */
export const peerDynamodbEndpoint = requiredText.regex(
  /^https:\/\/vpce-[0-9a-z]+-[0-9a-z]+\.dynamodb\.[a-z]{2}(-[a-z]+)+-\d\.vpce\.amazonaws\.com$/,
  'must be https://<Regional DNS name of a DynamoDB interface endpoint> (vpce-<id>-<suffix>.dynamodb.<region>.vpce.amazonaws.com)',
);

/** The live order book: all three or none (without them the API writes to Aurora directly). */
export const BOOK_VARIABLES = ['BOOK_TABLE_NAME', 'BOOK_PEER_REGION', 'BOOK_SIGNING_SECRET_ARN'] as const;

export const tradingEnvironment = z.object({
  REGION_NAME: awsRegion,
  REGION_ROLE: z.enum(['primary', 'secondary'], { message: 'must be primary or secondary' }),
  DB_SECRET_ARN: secretArn.describe("The application credential (this region's copy)"),
  DB_HOST: requiredText.describe('Where writes go: the Aurora global writer endpoint'),
  DB_READ_HOST: requiredText.optional().describe("This region's reader endpoint: tells read-only from down"),
  DB_PORT: port,
  DB_NAME: requiredText,
  DB_SSL: dbSsl,
  DB_POOL_MAX: wholeNumber(1, 100).describe('Connections per pool (sized by the connection budget)'),
  ORDER_DURABILITY: z.enum(['cross-region', 'regional'], { message: 'must be cross-region or regional' }),
  JOURNAL_QUEUE_URLS: requiredText.optional(),
  JOURNAL_TIMEOUT_MS: wholeNumber(JOURNAL_TIMEOUT_RANGE_MS[0], JOURNAL_TIMEOUT_RANGE_MS[1]).optional(),
  FENCE_TABLE_NAME: requiredText.optional(),
  FENCE_TABLE_REGION: awsRegion.optional(),
  FENCE_NAME: requiredText.optional(),
  // The verifying processes' variables (client keys, API_HOSTS, AUTH_TABLE_NAME) are set by the
  // component beside this contract (ServiceRuntime.verifier); only their shape is checked here.
  CLIENT_KEYS_SECRET_ARN: secretArn.optional().describe("The API clients' keys (this region's copy)"),
  BOOK_TABLE_NAME: requiredText.optional().describe('The live order book (DynamoDB global table)'),
  BOOK_PEER_REGION: awsRegion
    .optional()
    .describe("The other replica's region: written first with cross-region durability"),
  BOOK_SIGNING_SECRET_ARN: secretArn.optional().describe("The book's signing key (this region's copy)"),
  BOOK_PEER_ENDPOINT: peerDynamodbEndpoint
    .optional()
    .describe("The other region's DynamoDB interface endpoint (over the peering); unset: its public endpoint"),
  AUTH_PAST_WINDOW_SECONDS: wholeNumber(1, 300).optional(),
  AUTH_FUTURE_WINDOW_SECONDS: wholeNumber(0, 60).optional(),
});

export type TradingEnvironment = z.output<typeof tradingEnvironment>;

/** The book's part of the contract: set only on the processes that take orders. */
export const bookEnvironment = tradingEnvironment.pick({
  BOOK_TABLE_NAME: true,
  BOOK_PEER_REGION: true,
  BOOK_SIGNING_SECRET_ARN: true,
  BOOK_PEER_ENDPOINT: true,
});

export interface BookSettings {
  readonly tableName: string;
  readonly peerRegion: string;
  readonly signingSecretArn: string;
  /** Where the peer replica is reached (its region's DynamoDB interface endpoint); unset: the public endpoint. */
  readonly peerEndpoint?: string;
}

/**
 * The book's settings from an environment: undefined when none of BOOK_* is set, an EnvError
 * naming what is missing or malformed otherwise. The peer must be another region.
 */
export function parseBookSettings(env: Record<string, string | undefined>): BookSettings | undefined {
  const set = BOOK_VARIABLES.filter((k) => env[k]);
  if (set.length === 0) return undefined;
  const missing = BOOK_VARIABLES.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new EnvError(
      'trading',
      missing.map((k) => `${k} must be set with ${set.join(', ')} (the order book takes all three or none)`),
    );
  }
  const book = parseEnv(
    'trading',
    tradingEnvironment.pick({
      BOOK_TABLE_NAME: true,
      BOOK_PEER_REGION: true,
      BOOK_SIGNING_SECRET_ARN: true,
      BOOK_PEER_ENDPOINT: true,
      REGION_NAME: true,
    }),
    env,
  );
  if (book.BOOK_PEER_REGION === book.REGION_NAME) {
    throw new EnvError('trading', [`BOOK_PEER_REGION must be the other replica's region, not ${book.REGION_NAME}`]);
  }
  // SigV4 signs for the client's region: an endpoint of another region would refuse every write.
  if (
    book.BOOK_PEER_ENDPOINT &&
    !book.BOOK_PEER_ENDPOINT.endsWith(`.dynamodb.${book.BOOK_PEER_REGION}.vpce.amazonaws.com`)
  ) {
    throw new EnvError('trading', [
      `BOOK_PEER_ENDPOINT must be an endpoint in BOOK_PEER_REGION (${book.BOOK_PEER_REGION}), got ${book.BOOK_PEER_ENDPOINT}`,
    ]);
  }
  return {
    tableName: book.BOOK_TABLE_NAME!,
    peerRegion: book.BOOK_PEER_REGION!,
    signingSecretArn: book.BOOK_SIGNING_SECRET_ARN!,
    ...(book.BOOK_PEER_ENDPOINT ? { peerEndpoint: book.BOOK_PEER_ENDPOINT } : {}),
  };
}
