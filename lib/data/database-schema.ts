import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { DatabaseSecret, readSecretStatements } from './credentials-stack';
import { DatabaseStack } from './database-stack';
import { egressRules } from '../network/egress';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { functionEnvironment } from '../functions/function-environment';
import { schemaEnvironment } from '../../lambda/schema/environment';
import { Namer } from '../config/naming';
import { NetworkStack } from '../network/network-stack';
import { RegionKeys } from '../security/region-keys';
import { namedSecurityGroup } from '../network/named-security-group';
import type { CodeSigning } from '../functions/code-signing';

/** The schema function's statement timeout is 60 s (lambda/schema/handler.ts): room to spare. */
export const SCHEMA_TIMEOUT_SECONDS = 120;

export interface DatabaseSchemaArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  /** The primary region, where the writer is at deploy time. */
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /** The other region's network: the writer may be there after a failover. */
  readonly peerNetwork: NetworkStack;
  /** The primary member: its instances must be up and its security group must admit the function. */
  readonly database: DatabaseStack;
  /** The master credential the function logs in with. */
  readonly master: DatabaseSecret;
  /** The region's keys: the secrets key decrypts the credential, the logs key the function's logs. */
  readonly keys: RegionKeys;
}

/**
 * The database schema, migrated at deploy time: the schema function (lambda/schema) logs in as
 * master through the global writer endpoint in the secret and applies the migrations, invoked
 * once per deploy whose code changed (`aws.lambda.Invocation`, CREATE_ONLY). A failed migration
 * fails `pulumi up`. What serves orders waits for `migrated`, never the request path.
 */
export class DatabaseSchema extends pulumi.ComponentResource {
  readonly fn: BuiltFunction;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly invocation: aws.lambda.Invocation;
  /** Resolves once the schema is in place: consumers put it in their dependsOn. */
  readonly migrated: pulumi.Resource;

  constructor(name: string, args: DatabaseSchemaArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:DatabaseSchema', name, {}, opts);
    const { settings, region, name: n, network, database, master } = args;
    const child = { parent: this };

    this.securityGroup = namedSecurityGroup(
      n('schemaSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Schema function: PostgreSQL and the AWS API endpoints',
        // The rotation function's reach: Aurora in either region, the endpoints in this one.
        egress: egressRules('rotation', network, args.peerNetwork),
      },
      child,
    );
    const admitted = database.allowClient('schema', this.securityGroup.id);
    const masterArn = master.arnIn(region.region);

    this.fn = buildFunction(
      {
        name: n('schemaFunction'),
        roleName: n('schemaRole'),
        codeSigning: args.codeSigning,
        code: 'schema',
        description: 'Applies the database schema migrations at deploy time, as master',
        settings,
        // Through Secrets Manager only (the key's grant is conditioned on it and on this secret).
        statements: readSecretStatements('MasterCredential', masterArn, args.keys.key('secrets').arn, region.region),
        environment: functionEnvironment('schema', schemaEnvironment, {
          MASTER_SECRET_ARN: masterArn,
          DB_SSL: 'verify-full',
        }),
        vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.securityGroup.id] },
        logsKeyArn: args.keys.key('logs').arn,
        timeoutSeconds: SCHEMA_TIMEOUT_SECONDS,
        memoryMb: 256,
      },
      child,
    );

    this.invocation = new aws.lambda.Invocation(
      n('schemaFunction', 'run'),
      {
        functionName: this.fn.fn.name,
        input: '{}',
        // Migrations are bundled with the code: new code, new run; otherwise once.
        triggers: { code: this.fn.fn.sourceCodeHash },
      },
      {
        parent: this.fn.fn,
        // The database, its master credential and the way in must all be there first.
        dependsOn: [...database.instances, master.version, admitted],
      },
    );
    this.migrated = this.invocation;

    this.registerOutputs({ schemaFunctionArn: this.fn.fn.arn });
  }
}
