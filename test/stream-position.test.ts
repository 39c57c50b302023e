/**
 * An applier's place in its replica's stream (scripts/local/stream-position.ts): a failed batch
 * keeps its records and backs off 1, 2, 4 ... s up to the cap; retrySoon() (the drill calls it on
 * any change of the network or a database) makes the next poll try at once.
 */
import type { ApplyReport } from '../lambda/book-applier/apply';
import type { StreamRecord } from '../scripts/local/book-replicas';
import { StreamPosition } from '../scripts/local/stream-position';

const records = [
  { dynamodb: { SequenceNumber: '1' } },
  { dynamodb: { SequenceNumber: '2' } },
] as unknown as StreamRecord[];

function applier(maxBackoffSeconds?: number) {
  /** The seconds at which a batch was handed to the applier. */
  const tries: number[] = [];
  let refuse = true;
  let now = 0;
  const position = new StreamPosition(
    'eu-west-1',
    () => records,
    async (): Promise<ApplyReport> => {
      tries.push(now);
      return (refuse ? { failedFrom: '1' } : {}) as ApplyReport;
    },
    maxBackoffSeconds,
  );
  /** Poll once a second from `from` to `to` (s), as the drill's event source mapping does. */
  const pollEverySecond = async (from: number, to: number) => {
    for (now = from; now <= to; now++) await position.poll(now * 1000);
  };
  return { position, tries, pollEverySecond, accept: () => (refuse = false) };
}

it('backs off 1, 2, 4 ... s after failed batches, up to the cap, keeping the records', async () => {
  const a = applier(8);
  await a.pollEverySecond(0, 60);
  expect(a.tries).toEqual([0, 1, 3, 7, 15, 23, 31, 39, 47, 55]);
  expect(a.position.behind).toBe(2);
  const b = applier();
  await b.pollEverySecond(0, 60);
  // The default cap: 16 s.
  expect(b.tries).toEqual([0, 1, 3, 7, 15, 31, 47]);
});

it('retrySoon: the next poll tries at once, and the batch goes through once it is accepted', async () => {
  const a = applier(64);
  await a.pollEverySecond(0, 40);
  expect(a.tries).toEqual([0, 1, 3, 7, 15, 31]);
  a.accept();
  a.position.retrySoon();
  await a.pollEverySecond(41, 42);
  expect(a.tries.slice(6)).toEqual([41]);
  expect(a.position.behind).toBe(0);
});
