/**
 * Where the applier puts an order (lambda/book-applier/ledger.ts): inserted only while its own
 * cluster is the writer; on a read-only secondary only confirmed, and retried (thrown) until
 * replication brings it, so a record is never passed before its order is in that region's cluster.
 */
import { localLedger, NotInLedgerYet, ROLE_PROBE_REUSE_MS, type LedgerStore } from '../../lambda/book-applier/ledger';
import type { Order } from '../../lambda/trading/order';

const order: Order = {
  id: 'o-1',
  clientOrderId: 'c-1',
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  quantity: '1',
  limitPrice: '10.00',
  status: 'accepted',
  region: 'us-east-1',
  createdAt: '2026-01-01T00:00:00.000Z',
};

function fakeStore(role: 'writable' | 'read-only', rows: Order[] = []) {
  const calls = { probe: 0, restore: 0, find: 0 };
  const store: LedgerStore & { role: 'writable' | 'read-only'; rows: Order[] } = {
    role,
    rows,
    async probe() {
      calls.probe += 1;
      return store.role;
    },
    async restore(_clientId, o) {
      calls.restore += 1;
      if (store.role !== 'writable') throw Object.assign(new Error('read-only transaction'), { code: '25006' });
      const existing = store.rows.find((r) => r.id === o.id);
      if (existing) return { order: existing, created: false };
      store.rows.push(o);
      return { order: o, created: true };
    },
    async findById(_clientId, id) {
      calls.find += 1;
      return store.rows.find((r) => r.id === id);
    },
  };
  return { store, calls };
}

it('inserts where its own cluster is the writer, once (a replay finds it present)', async () => {
  const { store, calls } = fakeStore('writable');
  const restore = localLedger(store);
  expect(await restore('desk-a', order)).toEqual({ order, created: true });
  expect(await restore('desk-a', order)).toEqual({ order, created: false });
  expect(calls.find).toBe(0);
});

it('on a read-only cluster it never inserts: present means applied, absent means retry later', async () => {
  const { store, calls } = fakeStore('read-only');
  const restore = localLedger(store);
  await expect(restore('desk-a', order)).rejects.toBeInstanceOf(NotInLedgerYet);
  expect(calls.restore).toBe(0);
  store.rows.push(order); // Aurora replication brought it
  expect(await restore('desk-a', order)).toEqual({ order, created: false });
  expect(calls.restore).toBe(0);
});

it('after a promotion the waiting record is inserted by the region that now writes', async () => {
  const { store } = fakeStore('read-only');
  let t = 0;
  const restore = localLedger(store, () => t);
  await expect(restore('desk-a', order)).rejects.toBeInstanceOf(NotInLedgerYet);
  store.role = 'writable'; // promoted; the old writer never applied the order
  expect(await restore('desk-a', order)).toEqual({ order, created: true });
  t += 1;
  expect(store.rows).toEqual([order]);
});

it('reuses one probe for a while, and probes again after a refusal', async () => {
  const { store, calls } = fakeStore('writable');
  let t = 0;
  const restore = localLedger(store, () => t);
  await restore('desk-a', order);
  await restore('desk-a', { ...order, id: 'o-2' });
  expect(calls.probe).toBe(1);
  t += ROLE_PROBE_REUSE_MS + 1;
  await restore('desk-a', { ...order, id: 'o-3' });
  expect(calls.probe).toBe(2);
  store.role = 'read-only'; // demoted under a cached "writable": the insert fails, nothing passes
  await expect(restore('desk-a', { ...order, id: 'o-4' })).rejects.toThrow(/read-only/);
  await expect(restore('desk-a', { ...order, id: 'o-4' })).rejects.toBeInstanceOf(NotInLedgerYet);
  expect(calls.probe).toBe(3);
});
