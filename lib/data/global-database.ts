import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Settings } from '../config';
import { Namer } from '../config/naming';
import { AURORA_ENGINE } from '../model/aurora-engine';

/** Generated passwords: long, and free of the characters RDS rejects in passwords (/ @ " space). */
export const DB_PASSWORD_SPEC: random.RandomPasswordArgs = {
  length: 32,
  special: true,
  overrideSpecial: '!#$%^&*()-_=+[]{}<>:?',
};

/** The cluster parameter-group family of an engine version: the engine plus its major (14.6 -> aurora-postgresql14). */
export function parameterGroupFamily(engineVersion: string): string {
  const major = /^(\d+)(\.\d+)*$/.exec(engineVersion)?.[1];
  if (!major) throw new Error(`not an Aurora PostgreSQL engine version: "${engineVersion}"`);
  return `${AURORA_ENGINE}${major}`;
}

export interface GlobalDatabaseArgs {
  readonly settings: Settings;
  /**
   * Namer of the primary region: the global cluster is created through its API, and the
   * master password is the primary member's.
   */
  readonly name: Namer;
}

/**
 * The Aurora global database, first thing the platform needs: both regional clusters join it,
 * so it exists before either. It fixes the engine and version every member runs (a mismatch
 * blocks failover) and the initial master password the primary member starts with (the
 * credentials secret takes it over, the rotation function owns it after the first rotation).
 *
 * It is its own component, not part of `GlobalStack`, because of when it is needed: the
 * accelerator and the DNS records need both regions' load balancers, which need the database.
 * One component holding both ends would need outputs from the future (deferred outputs).
 * `GlobalStack` receives it and exposes it next to the traffic layer.
 */
export class GlobalDatabase extends pulumi.ComponentResource {
  readonly cluster: aws.rds.GlobalCluster;
  readonly engine = AURORA_ENGINE;
  readonly engineVersion: string;
  readonly parameterGroupFamily: string;
  /** RDS Extended Support enrolment, the same on the global cluster and both members. */
  readonly engineLifecycleSupport: string;
  readonly masterPassword: pulumi.Output<string>;

  constructor(name: string, args: GlobalDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:GlobalDatabase', name, {}, opts);
    const { settings, name: n } = args;
    this.engineVersion = settings.dbEngineVersion;
    this.parameterGroupFamily = parameterGroupFamily(this.engineVersion);
    this.engineLifecycleSupport = settings.engineLifecycleSupport;

    this.cluster = new aws.rds.GlobalCluster(
      n('globalCluster'),
      {
        globalClusterIdentifier: n('globalCluster'),
        engine: this.engine,
        // The version every member runs: a minor upgrade changes it here and the provider upgrades
        // the members through ModifyGlobalCluster (the members ignore their own engineVersion).
        engineVersion: this.engineVersion,
        // Not the AWS default (enrolled in paid RDS Extended Support): see docs/runbooks/upgrades.md.
        engineLifecycleSupport: this.engineLifecycleSupport,
        storageEncrypted: true,
        // A protected stack's global cluster survives a mistaken destroy (and so do its members).
        deletionProtection: settings.dataProtection === 'protected',
      },
      { parent: this },
    );
    this.masterPassword = new random.RandomPassword(n('dbCluster', 'pw'), DB_PASSWORD_SPEC, { parent: this }).result;

    this.registerOutputs({
      globalClusterId: this.cluster.id,
      globalClusterArn: this.cluster.arn,
      globalWriterEndpoint: this.cluster.endpoint,
    });
  }
}
