/** The order API's test fixtures around the local trading database (scripts/local/trading-db.ts). */
import type { Runtime } from '../../lambda/trading/runtime';
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

/** After a file's tests: close every runtime it made, give back the Secrets Manager mock, stop PostgreSQL. */
export async function closeTradingDb(db: TradingDb, runtimes: Runtime[]): Promise<void> {
  await Promise.all(runtimes.map((r) => r.close().catch(() => undefined)));
  db.secrets.restore();
  await db.pg.stop().catch(() => undefined);
}
