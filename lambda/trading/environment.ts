/**
 * The order API's environment (the trading Lambda and the EC2 service): its contract with the
 * component that deploys it (lib/app/compute-stack.ts builds it through this schema at plan
 * time) and with its runtime (lambda/trading/runtime.ts reads the book's settings through
 * `parseBookSettings`). Pattern: lib/functions/function-environment.ts.
 *
 * The order API reaches no database: it takes and reads orders in the live order book only
 * (Aurora is fed from the book's stream by lambda/book-applier).
 */
import { z } from 'zod';
import { awsRegion, EnvError, parseEnv, requiredText, secretArn, wholeNumber } from '../facts/env';

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

/** The live order book: the order API's only store, so all three are required. */
export const BOOK_VARIABLES = ['BOOK_TABLE_NAME', 'BOOK_PEER_REGION', 'BOOK_SIGNING_SECRET_ARN'] as const;

export const tradingEnvironment = z.object({
  REGION_NAME: awsRegion,
  REGION_ROLE: z.enum(['primary', 'secondary'], { message: 'must be primary or secondary' }),
  // The verifying processes' variables (client keys, API_HOSTS, AUTH_TABLE_NAME) are set by the
  // component beside this contract (ServiceRuntime.verifier); only their shape is checked here.
  CLIENT_KEYS_SECRET_ARN: secretArn.optional().describe("The API clients' keys (this region's copy)"),
  BOOK_TABLE_NAME: requiredText.describe('The live order book (DynamoDB global table)'),
  BOOK_PEER_REGION: awsRegion.describe("The other replica's region: written first with cross-region durability"),
  BOOK_SIGNING_SECRET_ARN: secretArn.describe("The book's signing key (this region's copy)"),
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
 * The book's settings from an environment, or an EnvError naming what is missing or malformed.
 * The peer must be another region.
 */
export function parseBookSettings(env: Record<string, string | undefined>): BookSettings {
  const missing = BOOK_VARIABLES.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new EnvError(
      'trading',
      missing.map((k) => `${k} must be set (the live order book is where the order API takes orders)`),
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
