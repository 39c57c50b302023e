import { createHmac } from 'crypto';
import { scramKeys, scramSha256Verifier } from '../../lambda/rotation/scram';

describe('SCRAM-SHA-256 verifiers (RFC 5802 / RFC 7677)', () => {
  it('derives the keys of the RFC 7677 example: its client proof and server signature come out', () => {
    // RFC 7677 section 3: user "user", password "pencil", this salt, 4096 iterations.
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const { clientKey, storedKey, serverKey } = scramKeys('pencil', salt, 4096);
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
    const clientSignature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ clientSignature[i]));
    expect(proof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(createHmac('sha256', serverKey).update(authMessage).digest('base64')).toBe(
      '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
  });

  it("has PostgreSQL's layout, 4096 iterations and a fresh 16-byte salt each time", () => {
    const layout = /^SCRAM-SHA-256\$4096:([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]+=*)$/;
    const a = layout.exec(scramSha256Verifier('s3cret!Pass'))!;
    const b = layout.exec(scramSha256Verifier('s3cret!Pass'))!;
    for (const m of [a, b]) {
      expect(Buffer.from(m[1], 'base64')).toHaveLength(16);
      expect(Buffer.from(m[2], 'base64')).toHaveLength(32);
      expect(Buffer.from(m[3], 'base64')).toHaveLength(32);
    }
    expect(a[1]).not.toBe(b[1]);
    expect(a[0]).not.toContain('s3cret');
  });

  it.each([
    ['empty', ''],
    ['non-ASCII (SASLprep would change it)', 'pass\u00a0word'],
    ['a control character', 'pass\u0007word'],
  ])('refuses a password that is %s', (_label, password) => {
    expect(() => scramSha256Verifier(password)).toThrow(
      'a SCRAM verifier is computed only for non-empty printable ASCII passwords',
    );
  });

  it.each([
    ['DEL at the end', 'password\u007f'],
    ['a unit separator first', '\u001fpassword'],
  ])('refuses a password with %s', (_label, password) => {
    expect(() => scramKeys(password, Buffer.alloc(16))).toThrow(/printable ASCII/);
  });

  it('takes every printable ASCII character, space and tilde included', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(() => scramKeys(printable, Buffer.alloc(16), 1)).not.toThrow();
  });

  it('writes the given salt and iteration count, and the keys derived with them', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const { storedKey, serverKey } = scramKeys('pencil', salt, 4096);
    expect(scramSha256Verifier('pencil', salt)).toBe(
      `SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$${storedKey.toString('base64')}:${serverKey.toString('base64')}`,
    );
    const fewer = scramKeys('pencil', salt, 2);
    expect(scramSha256Verifier('pencil', salt, 2)).toBe(
      `SCRAM-SHA-256$2:W22ZaJ0SNY7soEsUEjb6gQ==$${fewer.storedKey.toString('base64')}:${fewer.serverKey.toString('base64')}`,
    );
    expect(fewer.storedKey.equals(storedKey)).toBe(false);
  });
});
