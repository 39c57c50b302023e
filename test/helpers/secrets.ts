/**
 * An in-memory Secrets Manager (versions and staging labels) behind aws-sdk-client-mock, so
 * rotation and credential caching run against the real SDK client with realistic behaviour.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { randomBytes, randomUUID } from 'crypto';

interface Version {
  value?: string;
  stages: Set<string>;
}

interface Secret {
  arn: string;
  rotationEnabled: boolean;
  versions: Map<string, Version>;
}

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

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
    this.mock
      .on(PutSecretValueCommand)
      .callsFake(async ({ SecretId, ClientRequestToken, SecretString, VersionStages }) => {
        const s = this.secret(SecretId);
        const id = ClientRequestToken ?? randomUUID();
        const existing = s.versions.get(id);
        if (existing?.value !== undefined && existing.value !== SecretString)
          throw new Error('version exists with another value');
        for (const stage of VersionStages ?? ['AWSCURRENT']) this.moveStage(s, stage, id);
        s.versions.set(id, {
          value: SecretString,
          stages: new Set([...(existing?.stages ?? []), ...(VersionStages ?? ['AWSCURRENT'])]),
        });
        this.writes.push(`PutSecretValue ${SecretId}`);
        return { ARN: s.arn, VersionId: id };
      });
    this.mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake(async ({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }) => {
        const s = this.secret(SecretId);
        const holder = [...s.versions].find(([, v]) => v.stages.has(VersionStage!))?.[0];
        if (holder && holder !== RemoveFromVersionId)
          throw new Error(`${VersionStage} is on ${holder}, not ${RemoveFromVersionId}`);
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

  create(name: string, value: object, rotationEnabled = true): string {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
    this.secrets.set(arn, {
      arn,
      rotationEnabled,
      versions: new Map([[randomUUID(), { value: JSON.stringify(value), stages: new Set(['AWSCURRENT']) }]]),
    });
    return arn;
  }

  /** What RotateSecret does before calling the function: a new version labelled AWSPENDING. */
  startRotation(arn: string): string {
    const s = this.secret(arn);
    const token = randomUUID();
    this.moveStage(s, 'AWSPENDING', token);
    s.versions.set(token, { stages: new Set(['AWSPENDING']) });
    return token;
  }

  current(arn: string): Record<string, unknown> {
    const v = [...this.secret(arn).versions.values()].find((x) => x.stages.has('AWSCURRENT'))!;
    return JSON.parse(v.value!);
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
