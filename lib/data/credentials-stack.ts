import { programSecretVersion } from '../security/program-secret-version';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Settings } from '../config';
import type { ByRole } from '../config/by-role';
import { DatabaseStack, POSTGRES_PORT } from './database-stack';
import { DB_PASSWORD_SPEC, GlobalDatabase } from './global-database';
import { policyJson, resolvedAfter, Statement } from '../security/iam';
import { viaServices } from '../security/key-policy';
import { Namer } from '../config/naming';
import { ROTATION_TAG } from '../config/tags';
import { RegionKeys } from '../security/region-keys';

/** What the credentials need of each region (a RegionBundle has it). */
export interface CredentialsSide {
  readonly region: string;
  readonly name: Namer;
  readonly database: DatabaseStack;
  readonly keys: RegionKeys;
  /** The secondary's grant needs its provider; the primary's resources use the component's own. */
  readonly provider: aws.Provider;
}

/** Days Secrets Manager keeps a deleted secret: none for ephemeral stacks, the maximum for protected ones. */
export const SECRET_RECOVERY_WINDOW_DAYS = { ephemeral: 0, protected: 30 } as const;

/**
 * The initial value of the API client keys secret: no clients. Every request is refused (401)
 * until the operator writes the real map; a generated key nobody holds would serve no one and
 * would sit in the Pulumi state.
 */
export const CLIENT_KEYS_PLACEHOLDER = '{}';

/**
 * Read one secret: GetSecretValue on its ARN, and Decrypt on its key only through Secrets
 * Manager and only for that secret (its ARN is the encryption context Secrets Manager sets).
 */
export function readSecretStatements(
  sid: string,
  secretArn: pulumi.Input<string>,
  keyArn: pulumi.Input<string>,
  region: string,
): Statement[] {
  return [
    { Sid: `Read${sid}`, Action: 'secretsmanager:GetSecretValue', Resource: secretArn },
    {
      Sid: `Decrypt${sid}`,
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: {
        StringEquals: {
          'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
          'kms:EncryptionContext:SecretARN': secretArn,
        },
      },
    },
  ];
}

export interface CredentialsStackArgs {
  readonly settings: Settings;
  readonly name: Namer;
  readonly globalDatabase: GlobalDatabase;
  /**
   * The primary is where the secrets live and rotate (the component's own provider, the
   * `providers` option); the secondary holds the replicas and the standby rotation function.
   */
  readonly regions: ByRole<CredentialsSide>;
}

/** The ARN a secret's replica has in another region (same name and random suffix). */
export function replicaArn(arn: string, region: string): string {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'secretsmanager') throw new Error(`not a Secrets Manager ARN: ${arn}`);
  parts[3] = region;
  return parts.join(':');
}

export interface DatabaseSecret {
  readonly secret: aws.secretsmanager.Secret;
  /** The initial value: whoever logs in with the secret waits for it. */
  readonly version: aws.secretsmanager.SecretVersion;
  /** ARN of the copy each region reads locally. */
  readonly arnIn: (region: string) => pulumi.Output<string>;
}

/**
 * The database credentials. Global databases cannot use RDS-managed passwords, so the program
 * owns them: secrets in the primary region, encrypted with its key and replicated to the
 * secondary with the secondary's key, so each region reads the current credential locally.
 * Only the primary copy rotates (one rotation per user); replicas follow within seconds.
 */
export class CredentialsStack extends pulumi.ComponentResource {
  readonly master: DatabaseSecret;
  readonly app: DatabaseSecret;
  readonly masterRotation: aws.secretsmanager.SecretRotation;
  readonly appRotation: aws.secretsmanager.SecretRotation;
  /** The API clients' signing keys (`{ "<client id>": { key, limits } }`), read by the order API. */
  readonly clientKeys: DatabaseSecret;

  constructor(name: string, args: CredentialsStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:CredentialsStack', name, {}, opts);
    const { settings, name: n, globalDatabase } = args;
    const { primary, secondary } = args.regions;
    const child = { parent: this };

    const makeSecret = (
      kind: 'dbSecret' | 'appSecret' | 'clientKeysSecret',
      description: string,
      value: pulumi.Input<string>,
      use: 'secrets' | 'clientKeys' = 'secrets',
    ): DatabaseSecret => {
      const secret = new aws.secretsmanager.Secret(
        n(kind),
        {
          name: n(kind),
          description,
          kmsKeyId: primary.keys.key(use).arn,
          replicas: [{ region: secondary.region, kmsKeyId: secondary.keys.key(use).arn }],
          // Ephemeral: destroy deletes at once; protected: a deleted secret can be restored for 30 days.
          // No deleteBeforeReplace: a replacement would lose the rotated credential; the name
          // clash stops it before anything is deleted.
          recoveryWindowInDays: SECRET_RECOVERY_WINDOW_DAYS[settings.dataProtection],
          tags: use === 'secrets' ? { [ROTATION_TAG.key]: ROTATION_TAG.automatic } : undefined,
        },
        child,
      );
      const version = programSecretVersion(n(kind), secret, value);
      return { secret, version, arnIn: (region) => secret.arn.apply((arn) => replicaArn(arn, region)) };
    };

    // `host` is the global writer endpoint: it follows a switchover or failover to the new
    // primary region, so the credential keeps working without being rewritten.
    const secretJson = (
      username: string,
      password: pulumi.Input<string>,
      extra: Record<string, pulumi.Input<string>> = {},
    ) =>
      pulumi.secret(
        pulumi.all([globalDatabase.cluster.endpoint, password, pulumi.output(extra)]).apply(([host, pw, more]) =>
          JSON.stringify({
            engine: 'postgres',
            host,
            port: POSTGRES_PORT,
            username,
            password: pw,
            dbname: settings.dbName,
            ...more,
          }),
        ),
      );

    this.master = makeSecret(
      'dbSecret',
      'Aurora master user (rotated by the rotation function)',
      secretJson(settings.dbMasterUsername, globalDatabase.masterPassword),
    );
    const appPassword = new random.RandomPassword(n('appSecret', 'pw'), DB_PASSWORD_SPEC, { parent: this });
    // The application user is created and re-keyed by the rotation function logging in as
    // master (`masterarn`), the layout AWS's rotation templates use.
    this.app = makeSecret(
      'appSecret',
      'Application user of the trading service',
      secretJson(settings.dbAppUsername, appPassword.result, { masterarn: this.master.secret.arn }),
    );

    this.clientKeys = makeSecret(
      'clientKeysSecret',
      'API client signing keys and limits (written by the operator; see README)',
      CLIENT_KEYS_PLACEHOLDER,
      'clientKeys',
    );

    const secrets = [this.master, this.app];
    const grantRotation = (side: CredentialsSide, label: string, opts: pulumi.CustomResourceOptions) => {
      const statements: Statement[] = [
        {
          Sid: 'RotateTheseSecrets',
          Action: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
            // Recovering the live password from a version an abandoned rotation left unlabelled.
            'secretsmanager:ListSecretVersionIds',
          ],
          Resource: secrets.map((s) => s.arnIn(side.region)),
        },
        // GetRandomPassword has no resource to scope to.
        { Sid: 'GeneratePasswords', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
        {
          Sid: 'UseTheSecretKeys',
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: [primary.keys.key('secrets').arn, secondary.keys.key('secrets').arn],
          Condition: {
            StringEquals: {
              'kms:ViaService': viaServices('secrets', [primary.region, secondary.region]),
            },
          },
        },
      ];
      return new aws.iam.RolePolicy(
        side.name('rotationRole', label),
        { role: side.database.rotation.role.resource.id, policy: policyJson(statements) },
        opts,
      );
    };
    const rotationGrant = grantRotation(primary, 'secrets', child);
    // The secondary's function is on standby: after the replica is promoted (runbook), rotation
    // is attached to it in eu-west-1 and these grants already cover the promoted secrets.
    grantRotation(secondary, 'standby', { parent: this, provider: secondary.provider });

    const rotate = (label: 'master' | 'app', s: DatabaseSecret, after: pulumi.Resource[]) => {
      const permission = new aws.lambda.Permission(
        primary.name('rotationFunction', label),
        {
          action: 'lambda:InvokeFunction',
          function: primary.database.rotation.fn.name,
          principal: 'secretsmanager.amazonaws.com',
          sourceArn: s.secret.arn,
          sourceAccount: s.secret.arn.apply((arn) => arn.split(':')[4]),
        },
        { parent: s.secret },
      );
      return new aws.secretsmanager.SecretRotation(
        n(label === 'master' ? 'dbSecret' : 'appSecret'),
        {
          secretId: s.secret.id,
          // The function as Secrets Manager may use it: invocable, and holding its secret grants.
          rotationLambdaArn: resolvedAfter(primary.database.rotation.fn.arn, [permission, rotationGrant]),
          rotationRules: { automaticallyAfterDays: settings.secretRotationDays },
          // The first rotation creates the application user; it needs the database up.
          rotateImmediately: true,
        },
        { parent: s.secret, dependsOn: [...primary.database.instances, ...after] },
      );
    };
    this.masterRotation = rotate('master', this.master, []);
    // The app user's rotation logs in as master, so it is requested only after the master's.
    // The provider returns once RotateSecret is accepted, not when the rotation finishes
    // (terraform-provider-aws secret_rotation.go), so the two may still overlap: the rotation
    // function then logs in with the master's AWSPENDING (lambda/shared/secret-login.ts).
    this.appRotation = rotate('app', this.app, [this.masterRotation]);

    this.registerOutputs({
      masterSecretArn: this.master.secret.arn,
      appSecretArn: this.app.secret.arn,
      clientKeysSecretArn: this.clientKeys.secret.arn,
    });
  }
}
