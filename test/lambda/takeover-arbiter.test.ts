/**
 * The orchestrator's side of the arbiter (lambda/orchestrator/takeover-arbiter.ts), directly:
 * what a takeover says when it cannot take the arbiter, and giving the hold back once the writer
 * is in the primary again.
 */
import { InMemoryArbiter } from '../../lambda/shared/arbiter';
import { releaseTakeover, takeoverArbiter } from '../../lambda/orchestrator/takeover-arbiter';

const EU = 'eu-west-1';
const US = 'us-east-1';
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

function deps(arbiter: InMemoryArbiter | undefined) {
  const logged: { level: string; message: string; fields: unknown }[] = [];
  const log = (level: string) => (message: string, fields: unknown) => void logged.push({ level, message, fields });
  return {
    logged,
    deps: {
      arbiter,
      clock: { now: () => T0, sleep: async () => undefined },
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      config: { secondaryClusterArn: `arn:aws:rds:${EU}:123456789012:cluster:aurora-euw1-dev` },
    } as unknown as Parameters<typeof takeoverArbiter>[0],
  };
}

const denied = () => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });

describe('takeoverArbiter', () => {
  it('no keeper deployed (no arbiter): nothing stands in the way', async () => {
    expect(await takeoverArbiter(deps(undefined).deps, EU)).toBeUndefined();
  });

  it("while the keeper's lease runs, says who holds it and until when", async () => {
    const arbiter = new InMemoryArbiter();
    await arbiter.take({ holder: US, until: T0 + 20_000 }, T0);
    expect(await takeoverArbiter(deps(arbiter).deps, EU)).toBe(
      `the arbiter is held by ${US} until ${new Date(T0 + 20_000).toISOString()}: no regional writer in ${EU} until it is free`,
    );
    expect(await arbiter.read()).toEqual({ holder: US, until: T0 + 20_000 });
  });

  it('a hold without an end (another takeover) is named without one; an unreadable holder is "another region"', async () => {
    const arbiter = new InMemoryArbiter();
    await arbiter.take({ holder: US }, T0);
    expect(await takeoverArbiter(deps(arbiter).deps, EU)).toBe(
      `the arbiter is held by ${US}: no regional writer in ${EU} until it is free`,
    );
    arbiter.read = async () => Promise.reject(new Error('read failed'));
    expect(await takeoverArbiter(deps(arbiter).deps, EU)).toBe(
      `the arbiter is held by another region: no regional writer in ${EU} until it is free`,
    );
  });

  it('us-west-2 not reached: no takeover, logged as an error; a missing permission is thrown', async () => {
    const arbiter = new InMemoryArbiter();
    arbiter.unreachable = true;
    const { deps: d, logged } = deps(arbiter);
    expect(await takeoverArbiter(d, EU)).toBe(
      `the arbiter did not answer (Error: arbiter: us-west-2 not reached): no regional writer in ${EU}`,
    );
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'arbiter not reached',
        fields: { region: EU, error: 'Error: arbiter: us-west-2 not reached' },
      },
    ]);
    arbiter.take = async () => Promise.reject(denied());
    arbiter.unreachable = false;
    await expect(takeoverArbiter(d, EU)).rejects.toThrow('not authorized');
  });
});

describe('releaseTakeover', () => {
  it("gives back the secondary's hold, so the primary's keeper may take it again", async () => {
    const arbiter = new InMemoryArbiter();
    expect(await takeoverArbiter(deps(arbiter).deps, EU)).toBeUndefined();
    expect(await arbiter.read()).toEqual({ holder: EU });
    await releaseTakeover(deps(arbiter).deps);
    expect(await arbiter.read()).toBeUndefined();
    expect(await arbiter.take({ holder: US, until: T0 + 20_000 }, T0)).toBe(true);
  });

  it('best effort: an unreachable arbiter is logged and left to the next move; a missing permission is thrown', async () => {
    const arbiter = new InMemoryArbiter();
    await arbiter.take({ holder: EU }, T0);
    arbiter.unreachable = true;
    const { deps: d, logged } = deps(arbiter);
    await releaseTakeover(d);
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'arbiter not released; the next move to the primary releases it',
        fields: { error: 'Error: arbiter: us-west-2 not reached' },
      },
    ]);
    arbiter.release = async () => Promise.reject(denied());
    await expect(releaseTakeover(d)).rejects.toThrow('not authorized');
  });

  it('no keeper deployed (no arbiter): nothing to give back, nothing logged', async () => {
    const { deps: d, logged } = deps(undefined);
    await expect(releaseTakeover(d)).resolves.toBeUndefined();
    expect(logged).toEqual([]);
  });
});
