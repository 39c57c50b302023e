/**
 * An in-memory Secrets Manager (versions and staging labels) behind aws-sdk-client-mock, so
 * rotation and credential caching run against the real SDK client with realistic behaviour.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { randomBytes, randomUUID } from 'crypto';

interface Version {
  value?: string;
  stages: Set<string>;
  created: Date;
}

interface Secret {
  arn: string;
  rotationEnabled: boolean;
  versions: Map<string, Version>;
}

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

/** Strictly increasing creation times, so "newest" is well defined within one millisecond. */
let clock = Date.now();
const nextDate = () => new Date(++clock);

export class FakeSecretsManager {
  readonly secrets = new Map<string, Secret>();
  readonly client = new SecretsManagerClient({ region: 'us-east-1' });
  readonly mock: AwsClientStub<SecretsManagerClient>;
  /** Counts calls per command, to assert that a rejected request wrote nothing. */
  readonly writes: string[] = [];

  constructor() {
    this.mock = mockClient(this.client);
    this.mock.on(DescribeSecretCommand).callsFake(async ({ SecretId }) => {
      const s = this.secret(SecretId);
      return {
        ARN: s.arn,
        RotationEnabled: s.rotationEnabled,
        VersionIdsToStages: Object.fromEntries(
          [...s.versions].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]]),
        ),
      };
    });
    this.mock.on(GetSecretValueCommand).callsFake(async ({ SecretId, VersionId, VersionStage }) => {
      const s = this.secret(SecretId);
      const stage = VersionStage ?? (VersionId ? undefined : 'AWSCURRENT');
      const entry = [...s.versions].find(
        ([id, v]) => (!VersionId || id === VersionId) && (!stage || v.stages.has(stage)),
      );
      if (!entry || entry[1].value === undefined)
        throw notFound(`no version ${VersionId ?? ''} ${stage ?? ''} of ${SecretId}`);
      return { ARN: s.arn, VersionId: entry[0], SecretString: entry[1].value, VersionStages: [...entry[1].stages] };
    });
    // Versions without a staging label are "deprecated": listed only with IncludeDeprecated.
    this.mock.on(ListSecretVersionIdsCommand).callsFake(async ({ SecretId, IncludeDeprecated }) => {
      const s = this.secret(SecretId);
      return {
        ARN: s.arn,
        Versions: [...s.versions]
          .filter(([, v]) => IncludeDeprecated || v.stages.size > 0)
          .map(([id, v]) => ({ VersionId: id, VersionStages: [...v.stages], CreatedDate: v.created })),
      };
    });
    this.mock
      .on(PutSecretValueCommand)
      .callsFake(async ({ SecretId, ClientRequestToken, SecretString, VersionStages }) => {
        const s = this.secret(SecretId);
        const id = ClientRequestToken ?? randomUUID();
        const existing = s.versions.get(id);
        if (existing?.value !== undefined && existing.value !== SecretString)
          throw new ResourceExistsException({ message: `version ${id} exists with another value`, $metadata: {} });
        for (const stage of VersionStages ?? ['AWSCURRENT']) this.moveStage(s, stage, id);
        s.versions.set(id, {
          value: SecretString,
          stages: new Set([...(existing?.stages ?? []), ...(VersionStages ?? ['AWSCURRENT'])]),
          created: existing?.created ?? nextDate(),
        });
        this.writes.push(`PutSecretValue ${SecretId}`);
        return { ARN: s.arn, VersionId: id };
      });
    this.mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake(async ({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }) => {
        const s = this.secret(SecretId);
        const holder = [...s.versions].find(([, v]) => v.stages.has(VersionStage!))?.[0];
        if (holder && holder !== RemoveFromVersionId && holder !== MoveToVersionId)
          throw new InvalidParameterException({
            message: `${VersionStage} is on ${holder}, not ${RemoveFromVersionId}`,
            $metadata: {},
          });
        if (!MoveToVersionId) {
          // Only RemoveFromVersionId: the label is taken off (AWS's clean-up after a cancelled rotation).
          if (!holder)
            throw new InvalidParameterException({ message: `${VersionStage} is on no version`, $metadata: {} });
          s.versions.get(holder)!.stages.delete(VersionStage!);
          this.writes.push(`UpdateSecretVersionStage ${SecretId}`);
          return { ARN: s.arn };
        }
        if (holder === MoveToVersionId) return { ARN: s.arn };
        if (VersionStage === 'AWSCURRENT' && holder) {
          this.moveStage(s, 'AWSPREVIOUS', holder);
          s.versions.get(holder)!.stages.add('AWSPREVIOUS');
        }
        this.moveStage(s, VersionStage!, MoveToVersionId!);
        s.versions.get(MoveToVersionId!)!.stages.add(VersionStage!);
        // AWS removes AWSPENDING from a version once it becomes current.
        if (VersionStage === 'AWSCURRENT') s.versions.get(MoveToVersionId!)!.stages.delete('AWSPENDING');
        this.writes.push(`UpdateSecretVersionStage ${SecretId}`);
        return { ARN: s.arn };
      });
    this.mock.on(GetRandomPasswordCommand).callsFake(async ({ PasswordLength, ExcludeCharacters }) => {
      const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#$%^&*()-_=+[]{}<>:?/@"\'\\ '
        .split('')
        .filter((c) => !(ExcludeCharacters ?? '').includes(c));
      const bytes = randomBytes(PasswordLength ?? 32);
      return { RandomPassword: [...bytes].map((b) => alphabet[b % alphabet.length]).join('') };
    });
  }

  /** A secret holding `value`: an object as its JSON text, a string as it is (a key, a token). */
  create(name: string, value: object | string, rotationEnabled = true): string {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
    this.secrets.set(arn, {
      arn,
      rotationEnabled,
      versions: new Map([
        [
          randomUUID(),
          {
            value: typeof value === 'string' ? value : JSON.stringify(value),
            stages: new Set(['AWSCURRENT']),
            created: nextDate(),
          },
        ],
      ]),
    });
    return arn;
  }

  /**
   * What RotateSecret does before calling the function: a new, empty version labelled
   * AWSPENDING. Like RotateSecret, it refuses while AWSPENDING sits on a version other than
   * AWSCURRENT (a previous rotation is not complete; Secrets Manager retries that one, with its
   * own token: see pendingToken).
   */
  startRotation(arn: string): string {
    const s = this.secret(arn);
    const pending = this.pendingToken(arn);
    if (pending && !s.versions.get(pending)!.stages.has('AWSCURRENT'))
      throw new InvalidRequestException({
        message: "A previous rotation isn't complete. That rotation will be reattempted.",
        $metadata: {},
      });
    const token = randomUUID();
    this.moveStage(s, 'AWSPENDING', token);
    s.versions.set(token, { stages: new Set(['AWSPENDING']), created: nextDate() });
    return token;
  }

  /** The version holding AWSPENDING, if any (the token Secrets Manager retries a rotation with). */
  pendingToken(arn: string): string | undefined {
    return [...this.secret(arn).versions].find(([, v]) => v.stages.has('AWSPENDING'))?.[0];
  }

  current(arn: string): Record<string, unknown> {
    const v = [...this.secret(arn).versions.values()].find((x) => x.stages.has('AWSCURRENT'))!;
    return JSON.parse(v.value!);
  }

  /** Every password any version of the secret has held (to check none of them leaks). */
  passwordsOf(arn: string): string[] {
    return [...this.secret(arn).versions.values()]
      .filter((v) => v.value !== undefined)
      .map((v) => String(JSON.parse(v.value!).password));
  }

  stagesOf(arn: string): Record<string, string[]> {
    return Object.fromEntries([...this.secret(arn).versions].map(([id, v]) => [id, [...v.stages].sort()]));
  }

  /** Overwrite AWSCURRENT in place (simulates a rotation finishing elsewhere). */
  setCurrent(arn: string, value: object): void {
    const s = this.secret(arn);
    const [id] = [...s.versions].find(([, v]) => v.stages.has('AWSCURRENT'))!;
    s.versions.get(id)!.value = JSON.stringify(value);
  }

  restore(): void {
    this.mock.restore();
  }

  private secret(id: string | undefined): Secret {
    const s = [...this.secrets.values()].find((x) => x.arn === id || x.arn.includes(`:secret:${id}-`));
    if (!s) throw notFound(`secret ${id} not found`);
    return s;
  }

  private moveStage(s: Secret, stage: string, to: string): void {
    for (const [id, v] of s.versions) if (id !== to) v.stages.delete(stage);
  }
}
