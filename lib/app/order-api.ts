import * as pulumi from '@pulumi/pulumi';
import { Statement } from '../security/iam';

/** The port the trading service listens on (EC2); the ALB reaches it only there. */
export const SERVICE_PORT = 8080;
/** The health path every checker probes: target groups, Global Accelerator, Route 53, the failover canary. */
export const HEALTH_PATH = '/health';
/** Order API paths the ALB sends to the trading Lambda; everything else goes to EC2. */
export const LAMBDA_PATHS = ['/orders', '/orders/*'];

/**
 * What every process serving the order API runs with (the EC2 service, the trading Lambda):
 * one environment, the grants to read its credential, and its place in the VPC.
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
