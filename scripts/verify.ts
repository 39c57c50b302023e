/**
 * `npm run verify -- --stack NAME`: after `pulumi up`, is the stack serving? Both regions healthy
 * on their own names, one signed order taken live and read back, the book's and Aurora's writers
 * in the primary region with cross-region durability, every alarm topic subscribed and confirmed
 * (scripts/verify/stack-checks.ts). Reads the stack's outputs with the Pulumi CLI and AWS with the
 * default credential chain; test/verify.test.ts runs it against the local server.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { wantsHelp } from './cli';
import { readStackOutputs, stackArguments, StackOutputs, StackOutputsError } from './stack-outputs';
import { checksTable, verifyStack, verifyTarget, VerifyIo } from './verify/stack-checks';

export const USAGE = `usage: npm run verify -- --stack NAME [--outputs FILE] [--no-order]

Checks a deployed stack: /health on each region's own name (use1.<domain>, euw1.<domain>), a signed
order through api.<domain> taken live (201) and read back, the order book's writer item in both
replicas and the Aurora global writer (primary region, cross-region durability), and a confirmed
subscription on every alarm and failover topic.
  --stack NAME     the stack (its outputs: pulumi stack output --json --stack NAME)
  --outputs FILE   read the outputs from FILE (saved from that command) instead of the Pulumi CLI
  --no-order       skip the signed order (it places one 1-unit limit order, symbol VERIFY, at 0.01)
  -h, --help       show this help
TAP_CLIENT_ID and TAP_CLIENT_KEY sign the order (a client key: npm run keys -- add).
Exit codes: 0 every check passed, 1 a check failed, 2 the stack or its outputs could not be read, 64 bad arguments.`;

export const EXIT = { ok: 0, failed: 1, unreadable: 2, usage: 64 } as const;

/** The SDK's clients with the default credential chain, one per region. */
function awsIo(env: NodeJS.ProcessEnv): VerifyIo {
  const id = env.TAP_CLIENT_ID;
  const key = env.TAP_CLIENT_KEY;
  return {
    fetch,
    urlFor: (hostname) => `https://${hostname}`,
    ...(id && key && { credentials: { clientId: id, key } }),
    dynamodb: (region) => new DynamoDBClient({ region }),
    rds: (region) => new RDSClient({ region }),
    sns: (region) => new SNSClient({ region }),
    now: () => new Date(),
  };
}

export async function main(
  argv: readonly string[],
  out: (line: string) => void,
  io: VerifyIo = awsIo(process.env),
  outputsOf: (source: { stack: string; file?: string }) => StackOutputs = readStackOutputs,
): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  const args = stackArguments(argv, ['no-order']);
  if (typeof args === 'string') {
    out(`${args}\n${USAGE}`);
    return EXIT.usage;
  }
  let target;
  try {
    target = verifyTarget(outputsOf(args.source));
  } catch (e) {
    if (!(e instanceof StackOutputsError)) throw e;
    out(`verify: ${e.message}`);
    return EXIT.unreadable;
  }
  const results = await verifyStack(target, io, { order: !args.flags.has('no-order') });
  out(checksTable(results));
  const failed = results.filter((r) => !r.ok).length;
  out(
    failed === 0
      ? `Stack ${args.source.stack}: all ${results.length} checks passed.`
      : `Stack ${args.source.stack}: ${failed} of ${results.length} checks failed.`,
  );
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`verify failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
