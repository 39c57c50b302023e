/**
 * `npm run keys -- add|rotate|revoke|list --stack NAME`: manage the API client keys
 * (docs/security.md, "API client keys"). With AWS credentials it reads the stack's
 * `clientKeysSecretArn` output (`pulumi stack output`) and reads and writes that secret in its
 * region (the key-admin role of `clientKeyAdminRoleArns` is the only writer the secret's policy
 * allows); with `--offline` it works on a local file instead (`.tap-local/client-keys-NAME.json`).
 *
 *   npm run keys -- add    --stack prod --client desk-a --rate 20 --burst 40
 *   npm run keys -- rotate --stack prod --client desk-a          # a second key; both sign
 *   npm run keys -- revoke --stack prod --client desk-a --key-id 20260301T000000Z
 *   npm run keys -- list   --stack prod
 *
 * A new key is printed once, on stdout; nothing else ever shows a secret.
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { addClient, listKeys, OpResult, revokeKey, rotateClient } from './client-key-ops';
import { wantsHelp } from './cli';
import { pickOutputs, readStackOutputs } from './stack-outputs';
import { z } from 'zod';

const USAGE = `usage: npm run keys -- add|rotate|revoke|list --stack NAME [options]
  add     --client ID --rate R --burst B   a new client with one key (printed once)
  rotate  --client ID                      a second key for the client (printed once); both sign
  revoke  --client ID --key-id KEY         remove one key (the last one removes the client)
  list                                     client, key id, window, limits (never a secret)
  --offline          work on a local file, not AWS: .tap-local/client-keys-NAME.json, or --file FILE`;

/** Where the map is read and written. */
export interface KeyStore {
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

export function fileStore(file: string): KeyStore {
  return {
    read: async () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}'),
    write: async (text) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o600 });
    },
  };
}

export function secretStore(
  secretArn: string,
  client = new SecretsManagerClient({ region: secretArn.split(':')[3] }),
): KeyStore {
  return {
    read: async () => (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString ?? '{}',
    write: async (text) => {
      await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: text }));
    },
  };
}

/** The stack's client keys secret, from its outputs. */
export function stackSecretArn(stack: string): string {
  return pickOutputs(readStackOutputs({ stack }), { clientKeysSecretArn: z.string().startsWith('arn:') })
    .clientKeysSecretArn;
}

export async function main(
  argv: string[],
  out: (line: string) => void,
  storeFor: (stack: string, offline: string | undefined) => KeyStore = (stack, offline) =>
    offline !== undefined
      ? fileStore(offline || path.join('.tap-local', `client-keys-${stack}.json`))
      : secretStore(stackSecretArn(stack)),
  now = () => new Date(),
): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      client: { type: 'string' },
      'key-id': { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      offline: { type: 'boolean' },
      file: { type: 'string' },
    },
  });
  const [command] = positionals;
  const need = (name: 'stack' | 'client' | 'key-id' | 'rate' | 'burst') => {
    const v = values[name];
    if (!v) throw new Error(`${command ?? 'keys'}: --${name} is required\n${USAGE}`);
    return v;
  };
  if (!['add', 'rotate', 'revoke', 'list'].includes(command ?? '')) throw new Error(USAGE);
  const store = storeFor(need('stack'), values.offline ? (values.file ?? '') : undefined);
  const text = await store.read();
  if (command === 'list') {
    out('client\tkey id\tnot before\tnot after\tlimits');
    listKeys(text).forEach((line) => out(line));
    return 0;
  }
  let result: OpResult;
  if (command === 'add') {
    const limits = { ratePerSecond: Number(need('rate')), burst: Number(need('burst')) };
    result = addClient(text, need('client'), limits, now());
  } else if (command === 'rotate') {
    result = rotateClient(text, need('client'), now());
  } else {
    result = revokeKey(text, need('client'), need('key-id'));
  }
  await store.write(result.text);
  if (result.issued) {
    const { clientId, keyId, secret } = result.issued;
    out(`client ${clientId} key ${keyId}: ${secret}`);
    out('Hand the key to the client now: it is not shown again. Every process uses it within 5 minutes.');
  } else {
    out('Revoked. Every process stops accepting it within 5 minutes (10 if the secret cannot be re-read).');
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
