/**
 * `npm run keys`: the operator's only tool for the client keys. Offline against a local file and
 * against Secrets Manager (the SDK faked at its boundary); every map it writes is one the
 * service's verifier accepts, and a rotation leaves both keys signing until the old one is revoked.
 */
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { activeKeys, parseClientKeys } from '../lambda/trading/client-keys';
import { addClient, listKeys, revokeKey, rotateClient } from '../scripts/client-key-ops';
import { main, secretStore } from '../scripts/keys';

const T = new Date('2026-03-01T00:00:00Z');
const limits = { ratePerSecond: 20, burst: 40 };

describe('client key operations', () => {
  it('add, rotate (both keys sign), revoke the old one (only the new signs)', () => {
    const added = addClient('{}', 'desk-a', limits, T);
    const rotated = rotateClient(added.text, 'desk-a', new Date(T.getTime() + 1000));
    const both = parseClientKeys(rotated.text).clients.get('desk-a')!;
    expect(activeKeys(both, T.getTime()).map((k) => k.secret)).toEqual([added.issued!.secret, rotated.issued!.secret]);
    const revoked = revokeKey(rotated.text, 'desk-a', added.issued!.keyId);
    const left = parseClientKeys(revoked.text).clients.get('desk-a')!;
    expect(left.keys.map((k) => k.secret)).toEqual([rotated.issued!.secret]);
    expect(revokeKey(revoked.text, 'desk-a', rotated.issued!.keyId).text).toBe('{}');
  });

  it('refuses a third key, a duplicate client, unknown keys, and a map with malformed entries', () => {
    const one = addClient('{}', 'desk-a', limits, T).text;
    const two = rotateClient(one, 'desk-a', new Date(T.getTime() + 1000)).text;
    expect(() => rotateClient(two, 'desk-a', new Date(T.getTime() + 2000))).toThrow(
      /already has 2 keys: revoke one first/,
    );
    expect(() => addClient(one, 'desk-a', limits, T)).toThrow(/exists: use rotate/);
    expect(() => revokeKey(one, 'desk-a', 'nope')).toThrow(/no key nope/);
    expect(() => addClient('{"x":{"key":"short","limits":{"ratePerSecond":1,"burst":1}}}', 'd', limits, T)).toThrow(
      /malformed entries; fix them first \(x: /,
    );
    expect(() => addClient('{}', 'desk a', limits, T)).toThrow(/refusing to write/);
  });

  it('rotates the { key } shorthand (its key becomes id "default")', () => {
    const legacy = JSON.stringify({ 'desk-a': { key: 'k'.repeat(32), limits } });
    const rotated = rotateClient(legacy, 'desk-a', T);
    expect(
      parseClientKeys(rotated.text)
        .clients.get('desk-a')!
        .keys.map((k) => k.id),
    ).toEqual(['default', '20260301T000000Z']);
  });

  it('lists ids, windows and limits, never a secret', () => {
    const { text, issued } = addClient('{}', 'desk-a', limits, T);
    const lines = listKeys(text);
    expect(lines).toEqual(['desk-a\t20260301T000000Z\t-\t-\t20/s burst 40']);
    expect(lines.join('\n')).not.toContain(issued!.secret);
  });
});

describe('npm run keys', () => {
  it('offline: add, rotate, list, revoke on the local file; the secret printed once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-'));
    const file = path.join(dir, 'keys.json');
    const run = async (...args: string[]) => {
      const out: string[] = [];
      expect(
        await main(
          [...args, '--stack', 'dev', '--offline', '--file', file],
          (l) => out.push(l),
          undefined,
          () => T,
        ),
      ).toBe(0);
      return out;
    };
    const added = await run('add', '--client', 'desk-a', '--rate', '20', '--burst', '40');
    const secret = /key 20260301T000000Z: (\S+)$/.exec(added[0])![1];
    expect(parseClientKeys(fs.readFileSync(file, 'utf8')).clients.get('desk-a')!.keys[0].secret).toBe(secret);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const listed = await run('list');
    expect(listed.join('\n')).not.toContain(secret);
    await run('revoke', '--client', 'desk-a', '--key-id', '20260301T000000Z');
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect((await run('--help')).join('\n')).toMatch(/add\|rotate\|revoke\|list --stack NAME/);
    await expect(main(['add', '--offline', '--file', file], () => undefined)).rejects.toThrow(/--stack is required/);
  });

  it('with credentials: reads and writes the stack’s secret through Secrets Manager', async () => {
    const sm = mockClient(SecretsManagerClient);
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:secret-api-clients-prod-AbCdEf';
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    sm.on(PutSecretValueCommand).resolves({});
    const out: string[] = [];
    await main(
      ['add', '--stack', 'prod', '--client', 'desk-a', '--rate', '1', '--burst', '1'],
      (l) => out.push(l),
      () => secretStore(arn, new SecretsManagerClient({ region: 'us-east-1' })),
    );
    const put = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put.SecretId).toBe(arn);
    expect([...parseClientKeys(put.SecretString).clients.keys()]).toEqual(['desk-a']);
    sm.restore();
  });
});
