/** The order API's test fixtures around the local trading database (scripts/local/trading-db.ts). */
import type { TradingDb } from '../../scripts/local/trading-db';

/** A limit order to buy 100 AAPL at 187.25; `overrides` replace any field, the id included. */
export const limitOrder = (clientOrderId: string, overrides: Record<string, unknown> = {}) => ({
  clientOrderId,
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  quantity: '100',
  limitPrice: '187.25',
  ...overrides,
});

/** After a file's tests: give back the Secrets Manager mock, stop PostgreSQL. */
export async function closeTradingDb(db: TradingDb): Promise<void> {
  db.secrets.restore();
  await db.pg.stop().catch(() => undefined);
}
