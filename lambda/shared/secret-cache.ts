/** Reads a secret through Secrets Manager, cached, and re-read on demand (after rotation). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Credentials, parseCredentials } from './credentials';

/** `T` is what `parse` makes of the SecretString: database credentials unless told otherwise. */
export class SecretCache<T = Credentials> {
  private cached?: Promise<T>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly parse: (secretString: string | undefined) => T = parseCredentials as (s?: string) => T,
  ) {}

  get(): Promise<T> {
    if (!this.cached) {
      this.cached = this.client
        .send(new GetSecretValueCommand({ SecretId: this.secretId }))
        .then((out) => this.parse(out.SecretString));
      // A failed read is not cached: the next call tries again.
      this.cached.catch(() => (this.cached = undefined));
    }
    return this.cached;
  }

  /** Forget the cached value (the password was rotated under us). */
  invalidate(): void {
    this.cached = undefined;
  }
}
