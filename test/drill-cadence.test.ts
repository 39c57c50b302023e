/**
 * The drill's clients place a new order every second around anything that happens and every
 * QUIET_INTERVAL_MS between (scripts/drill/cadence.ts): the order count, the drill's cost, falls
 * in quiet stretches while every fault, change and decision keeps full resolution.
 */
import { Cadence, LEAD_MS, QUIET_INTERVAL_MS, WINDOW_MS, type Happening } from '../scripts/drill/cadence';

let now = 0;
const decisions: Happening[] = [];
let version = 0;
const cadence = () => {
  decisions.length = 0;
  version = 0;
  return new Cadence(
    () => now,
    [() => decisions],
    () => version,
  );
};
/** Seconds (of 0..to) at which a client asking every second places a new order. */
function orders(c: Cadence, to: number): number[] {
  const sent: number[] = [];
  let last: number | undefined;
  for (now = 0; now <= to * 1000; now += 1000) {
    if (c.due(last)) {
      last = now;
      sent.push(now / 1000);
    }
  }
  return sent;
}

it('places an order every QUIET_INTERVAL_MS when nothing happens', () => {
  expect(orders(cadence(), 30)).toEqual([0, 10, 20, 30]);
  expect(QUIET_INTERVAL_MS).toBe(10_000);
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it('every second from LEAD_MS before a scheduled fault to WINDOW_MS after it', () => {
  const c = cadence();
  c.around(30_000);
  expect([LEAD_MS, WINDOW_MS]).toEqual([5_000, 20_000]);
  expect(orders(c, 70)).toEqual([0, 10, 20, ...range(25, 50), 60, 70]);
});

it('a decision opens a window, a closed gate ("none", every minute) does not', () => {
  const c = cadence();
  decisions.push({ at: 10_000, action: 'none' });
  expect(orders(c, 30)).toEqual([0, 10, 20, 30]);
  const d = cadence();
  decisions.push({ at: 10_000, action: 'move-writer' });
  expect(orders(d, 40)).toEqual([0, ...range(5, 30), 40]);
});

it('a change of the network or a database opens a window from when it is seen', () => {
  const c = cadence();
  const sent: number[] = [];
  let last: number | undefined;
  for (now = 0; now <= 45_000; now += 1000) {
    if (now === 12_000) version++;
    if (c.due(last)) {
      last = now;
      sent.push(now / 1000);
    }
  }
  expect(sent).toEqual([0, 10, ...range(12, 32), 42]);
});

it('quiet() is false inside a window (seen from a new decision or change first) and true outside: health checks reuse answers only then', () => {
  const c = cadence();
  const quietAt = (seconds: number[]) =>
    seconds.map((t) => {
      now = t * 1000;
      return c.quiet();
    });
  expect(quietAt([0, 1])).toEqual([true, true]);
  decisions.push({ at: 2_000, action: 'move-writer' });
  // The decision's window: LEAD_MS before it to WINDOW_MS after it.
  expect(quietAt([2, 22, 23])).toEqual([false, false, true]);
  version++;
  expect(quietAt([30, 50, 51])).toEqual([false, false, true]);
});
