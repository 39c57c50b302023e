import * as pulumi from '@pulumi/pulumi';
import { Statement } from '../security/iam';

/**
 * What every process serving the order API runs with (the EC2 service, the trading Lambda): one
 * environment, the grants it needs (client keys, request ledger, the order book), and its place
 * in the VPC. Declared here, below lib/app, because both kinds of process are built from it.
 */
export interface ServiceRuntime {
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  readonly statements: readonly Statement[];
  readonly vpc: { subnetIds: pulumi.Input<string>[]; securityGroupIds: pulumi.Input<string>[] };
}
