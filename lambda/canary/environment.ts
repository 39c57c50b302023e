/**
 * A canary's environment: its contract with the component that deploys it (lib/failover/canary.ts
 * builds it through this schema at plan time) and with its handler (config.ts parses process.env
 * through it, with the AWS_REGION Lambda sets, then checks the variables against each other).
 * Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { awsRegion as region, requiredText as text, wholeNumber } from '../facts/env';

const dnsName = text.regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a DNS name');

export const canaryEnvironment = z.object({
  TARGET_REGION: region.describe('The region probed (the primary): the key the orchestrator reads the evidence under'),
  PROBE_PROTOCOL: z.enum(['https', 'http'], { message: 'must be https or http' }),
  PROBE_CONNECT_HOST: dnsName.describe("Where the probe connects: the primary's load balancer"),
  PROBE_HOSTNAME: dnsName
    .refine((v) => !/\.elb\.amazonaws\.com$/i.test(v), {
      message: "must be the platform's name on the certificate, not a load balancer's DNS name",
    })
    .describe('SNI, Host header and TLS identity of the probe'),
  PROBE_PATH: text.startsWith('/', 'must start with /').default('/health'),
  PROBE_INTERVAL_SECONDS: wholeNumber(5, 60, 'seconds'),
  EVIDENCE_TABLE: text,
  EVIDENCE_TABLE_REGION: region,
  ENVIRONMENT: text,
  METRIC_NAMESPACE: text.optional().describe('Where Powertools publishes the canary metrics'),
});

export type CanaryEnvironment = z.output<typeof canaryEnvironment>;
