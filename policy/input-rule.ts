/**
 * The shape of one input rule (aws-constraints.ts): what it checks, where, and where AWS or the
 * provider writes it down. Its own module so rule tables in other files can use it.
 */
export interface TextConstraint {
  readonly min?: number;
  readonly max?: number;
  /** Matched against the whole value. */
  readonly pattern?: RegExp;
  /** A prefix the value must not have (case-insensitive). */
  readonly reservedPrefix?: string;
  /** Extra shape check, for rules a single pattern says badly (S3's "no two adjacent periods"). */
  readonly also?: (value: string) => string | undefined;
}

export interface InputRule {
  /** What the rule is about, as a reader of a failure needs it. */
  readonly what: string;
  /** Resource types it applies to; `*` for every AWS resource (and the providers' default tags). */
  readonly types: readonly string[] | '*';
  readonly paths: readonly string[];
  readonly constraint: TextConstraint;
  /** Where the rule is written down. */
  readonly source: string;
}
