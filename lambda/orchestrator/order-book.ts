/**
 * The order book's control item as the orchestrator sees it: which region writes, under which
 * fencing epoch, with which durability. The book's own module (the live-order-book issue) owns
 * the table and the fenced write; the orchestrator only reads the writer and moves it, through
 * this interface, so tests and the drill inject the book's emulator or an in-memory fake.
 */
import type { BookWriter as SharedBookWriter } from '../shared/book-writer';

export type BookDurability = 'cross-region' | 'regional';

export interface BookWriter {
  readonly region: string;
  readonly epoch: number;
  readonly durability: BookDurability;
  /** Regional under the primary keeper's lease: its end (lambda/shared/book-writer.ts). */
  readonly regionalUntil?: number;
}

export interface MoveWriterRequest {
  readonly to: string;
  /** The epoch the move starts from: the move is refused when the book has moved on since. */
  readonly fromEpoch: number;
  readonly durability: BookDurability;
  /** Regional under the keeper's lease: its end (only the keeper moves with one). */
  readonly regionalUntil?: number;
}

export interface BookWriterMove {
  readonly moved: boolean;
  readonly writer: BookWriter;
}

export interface OrderBookControl {
  /** The control item as `region`'s replica holds it. */
  readonly readWriter: (region: string) => Promise<BookWriter>;
  /** The same, or undefined when that replica holds none (a new stack); throws when it cannot be read. */
  readonly findWriter?: (region: string) => Promise<BookWriter | undefined>;
  /**
   * Move the writer (epoch + 1), conditional on `fromEpoch`: `moved` only when this request's
   * write was taken; either way, the writer now recorded (a move that lost a race answers with
   * the one that won: it may even name the same region at the same epoch).
   */
  readonly moveWriter: (request: MoveWriterRequest) => Promise<BookWriterMove>;
  /** Whether `region`'s replica answers a read now (bounded): what cross-region durability needs. */
  readonly answers: (region: string) => Promise<boolean>;
}

/** How long the orchestrator waits for a replica to show it answers. */
export const REPLICA_ANSWER_TIMEOUT_MS = 1_000;

/** An in-memory book control (tests, and the drill until the book's two-replica emulator is wired). */
export class InMemoryOrderBookControl implements OrderBookControl {
  constructor(private writer: BookWriter) {}
  readonly moves: MoveWriterRequest[] = [];
  /** Regions whose replica does not answer (tests cut them). */
  readonly down = new Set<string>();

  readWriter = async (region: string): Promise<BookWriter> => {
    if (this.down.has(region)) throw new Error(`order book: ${region}'s replica does not answer`);
    return { ...this.writer };
  };

  answers = async (region: string): Promise<boolean> => !this.down.has(region);

  moveWriter = async (request: MoveWriterRequest): Promise<BookWriterMove> => {
    if (this.down.has(request.to)) throw new Error(`order book: ${request.to}'s replica does not answer`);
    if (request.fromEpoch !== this.writer.epoch) return { moved: false, writer: { ...this.writer } };
    this.moves.push(request);
    this.writer = { region: request.to, epoch: this.writer.epoch + 1, durability: request.durability };
    return { moved: true, writer: { ...this.writer } };
  };
}

/**
 * The control over the book's own replicas (lambda/shared/book-writer.ts): reads are strongly
 * consistent reads of one replica; a move is conditional on the epoch the orchestrator read, so
 * a move that lost a race answers with the writer that won instead of overwriting it.
 */
export function replicaBookControl(writer: SharedBookWriter): OrderBookControl {
  return {
    findWriter: (region) => writer.readWriter(region),
    readWriter: async (region) => {
      const current = await writer.readWriter(region);
      if (!current) throw new Error(`order book: no writer item in ${region}'s replica`);
      return current;
    },
    moveWriter: async (request) => {
      const result = await writer.moveWriter(request);
      if (result.moved) return { moved: true, writer: result.writer };
      if (!result.current)
        throw new Error(`order book: the move to ${request.to} was refused and no writer item is left`);
      return { moved: false, writer: result.current };
    },
    answers: (region) =>
      writer.readWriter(region, { abortSignal: AbortSignal.timeout(REPLICA_ANSWER_TIMEOUT_MS) }).then(
        () => true,
        () => false,
      ),
  };
}

export type BookBootstrap = 'exists' | 'created';

/**
 * A new stack's first writer item: the program cannot write it (the book's resource policy lets
 * only the service roles write, and the deployer is none of them), so the orchestrator does, on
 * its first run. Only when every replica answers and none holds an item: a replica that cannot be
 * read throws, and the next run tries again. The write itself is conditional on no item
 * (moveWriter from epoch 0), so a racing run or a move cannot be overwritten.
 */
export async function bootstrapWriter(
  control: OrderBookControl,
  regions: readonly string[],
  first: { readonly region: string; readonly durability: BookDurability },
): Promise<BookBootstrap> {
  if (!control.findWriter) return 'exists';
  const found = await Promise.all(regions.map((r) => control.findWriter!(r)));
  if (found.some((w) => w !== undefined)) return 'exists';
  await control.moveWriter({ to: first.region, fromEpoch: 0, durability: first.durability });
  return 'created';
}
