import * as pulumi from '@pulumi/pulumi';
import { Statement } from '../security/iam';

/**
 * What every process serving the order API runs with (the EC2 service, the trading Lambda; the
 * journal auditor reads its database settings): one environment, the grants to read its
 * credential, and its place in the VPC. Declared here, below lib/data and lib/app, because both
 * build such processes.
 */
export interface ServiceRuntime {
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  readonly statements: readonly Statement[];
  readonly vpc: { subnetIds: pulumi.Input<string>[]; securityGroupIds: pulumi.Input<string>[] };
  /** What a process must wait for before it serves orders (the deploy-time schema). */
  readonly ready: readonly pulumi.Resource[];
  /**
   * What only the processes that verify signed requests get (the trading function and the EC2
   * service): the client keys, the names clients sign for, the request ledger.
   */
  readonly verifier: {
    readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
    readonly statements: readonly Statement[];
  };
}
