/**
 * Whether this stack creates the region's AWS Config recorder or leaves the one the account
 * already has, decided while the program plans (`awsConfigRecorder: auto`, the default). Pure:
 * what the account holds is read by existingRecorders (DescribeConfigurationRecorders) and
 * handed in.
 *
 * An account holds at most one customer managed recorder per region
 * (MaxNumberOfConfigurationRecordersExceededException; "You can have only one customer managed
 * configuration recorder for each account for each AWS Region",
 * https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html), so a stack
 * that creates one where Control Tower or Security Hub already records fails at `pulumi up`.
 * Service-linked recorders (a `servicePrincipal`, names starting `AWSConfigurationRecorderFor`)
 * record for their service only and do not take that place: they are not counted.
 */

/** A configuration recorder the account already has in a region. */
export interface ExistingRecorder {
  readonly name: string;
  /** Set for a service-linked recorder (it records for that service only). */
  readonly servicePrincipal?: string;
  /** Whether it is recording now (DescribeConfigurationRecorderStatus). */
  readonly recording?: boolean;
}

export type RecorderSetting = 'auto' | 'create' | 'reuse';

export type RecorderChoice =
  | { readonly mode: 'create'; readonly reason: string }
  | { readonly mode: 'reuse'; readonly recorder?: string; readonly reason: string };

/**
 * `create` and `reuse` force the choice (no look-up); `auto` creates the recorder where the
 * region has no customer managed one, keeps managing the stack's own (`ownName`: found there
 * because an earlier `up` of this stack made it), and leaves any other one in place, adding only
 * the rules.
 */
export function configRecorderChoice(
  setting: RecorderSetting,
  ownName: string,
  existing: readonly ExistingRecorder[] | undefined,
): RecorderChoice {
  if (setting === 'create') return { mode: 'create', reason: 'awsConfigRecorder: create' };
  if (setting === 'reuse') return { mode: 'reuse', reason: 'awsConfigRecorder: reuse' };
  if (existing === undefined)
    throw new Error('awsConfigRecorder: auto needs the region’s existing recorders, and none were read');
  const customer = existing.filter((r) => !r.servicePrincipal);
  if (customer.length === 0) return { mode: 'create', reason: 'no configuration recorder in the region' };
  const own = customer.find((r) => r.name === ownName);
  if (own) return { mode: 'create', reason: `the stack's own recorder ${own.name}` };
  const [other] = customer;
  return {
    mode: 'reuse',
    recorder: other.name,
    reason:
      `the account's recorder ${other.name}` +
      (other.recording === false ? ' (stopped: the rules evaluate nothing until it records)' : ''),
  };
}
