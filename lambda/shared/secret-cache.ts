/** Reads a secret through Secrets Manager, cached, and re-read on demand (after rotation). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Credentials, parseCredentials } from './credentials';

export class SecretCache {
  private cached?: Promise<Credentials>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  get(): Promise<Credentials> {
    if (!this.cached) {
      this.cached = this.client
        .send(new GetSecretValueCommand({ SecretId: this.secretId }))
        .then((out) => parseCredentials(out.SecretString));
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
