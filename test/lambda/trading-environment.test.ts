/** The order API's environment contract (lambda/trading/environment.ts): the book is required, whole. */
import { parseBookSettings } from '../../lambda/trading/environment';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:secret-book-signing-dev-AbCdEf';
const BOOK = {
  REGION_NAME: 'eu-west-1',
  BOOK_TABLE_NAME: 'ddb-order-book-dev',
  BOOK_PEER_REGION: 'us-east-1',
  BOOK_SIGNING_SECRET_ARN: ARN,
};

it('no BOOK_* at all: refused, naming each (the book is the only place orders are taken)', () => {
  expect(() => parseBookSettings({ REGION_NAME: 'eu-west-1' })).toThrow(
    /BOOK_TABLE_NAME must be set .*BOOK_PEER_REGION must be set .*BOOK_SIGNING_SECRET_ARN must be set/,
  );
});

it('all three: the book', () => {
  expect(parseBookSettings(BOOK)).toEqual({
    tableName: 'ddb-order-book-dev',
    peerRegion: 'us-east-1',
    signingSecretArn: ARN,
  });
});

it('refuses a partial, malformed or self-referencing book, naming the variable', () => {
  expect(() => parseBookSettings({ ...BOOK, BOOK_SIGNING_SECRET_ARN: undefined })).toThrow(
    /^invalid trading environment: BOOK_SIGNING_SECRET_ARN must be set \(the live order book/,
  );
  expect(() => parseBookSettings({ ...BOOK, BOOK_SIGNING_SECRET_ARN: 'my-secret' })).toThrow(
    /BOOK_SIGNING_SECRET_ARN must be a Secrets Manager secret ARN/,
  );
  expect(() => parseBookSettings({ ...BOOK, BOOK_PEER_REGION: 'eu-west-1' })).toThrow(
    /BOOK_PEER_REGION must be the other replica's region/,
  );
});
