/** dynalite ships no types: the part the evidence-store contract test uses. */
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    path?: string;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

/** dynalite's own expression parser and condition evaluator (the book emulator's transactions use them). */
declare module 'dynalite/validations' {
  export function validateExpressions(data: Record<string, unknown>): string | undefined;
}
declare module 'dynalite/db' {
  export function checkConditional(
    data: Record<string, unknown>,
    existingItem?: Record<string, unknown>,
  ): Error | null | undefined;
}
