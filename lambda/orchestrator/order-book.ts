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
}

export interface MoveWriterRequest {
  readonly to: string;
  /** The epoch the move starts from: the move is refused when the book has moved on since. */
  readonly fromEpoch: number;
  readonly durability: BookDurability;
}

export interface OrderBookControl {
  /** The control item as `region`'s replica holds it. */
  readonly readWriter: (region: string) => Promise<BookWriter>;
  /** Move the writer (epoch + 1), conditional on `fromEpoch`; returns the writer now recorded. */
  readonly moveWriter: (request: MoveWriterRequest) => Promise<BookWriter>;
}

/** An in-memory book control (tests, and the drill until the book's two-replica emulator is wired). */
export class InMemoryOrderBookControl implements OrderBookControl {
  constructor(private writer: BookWriter) {}
  readonly moves: MoveWriterRequest[] = [];

  readWriter = async (): Promise<BookWriter> => ({ ...this.writer });

  moveWriter = async (request: MoveWriterRequest): Promise<BookWriter> => {
    if (request.fromEpoch !== this.writer.epoch) return { ...this.writer };
    this.moves.push(request);
    this.writer = { region: request.to, epoch: this.writer.epoch + 1, durability: request.durability };
    return { ...this.writer };
  };
}

/**
 * The control over the book's own replicas (lambda/shared/book-writer.ts): reads are strongly
 * consistent reads of one replica; a move is conditional on the epoch the orchestrator read, so
 * a move that lost a race answers with the writer that won instead of overwriting it.
 */
export function replicaBookControl(writer: SharedBookWriter): OrderBookControl {
  return {
    readWriter: async (region) => {
      const current = await writer.readWriter(region);
      if (!current) throw new Error(`order book: no writer item in ${region}'s replica`);
      return current;
    },
    moveWriter: async (request) => {
      const result = await writer.moveWriter(request);
      if (result.moved) return result.writer;
      if (!result.current)
        throw new Error(`order book: the move to ${request.to} was refused and no writer item is left`);
      return result.current;
    },
  };
}
