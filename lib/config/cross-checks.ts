/**
 * Rules across configuration keys. Each runs only when every key it reads is valid on its own,
 * so one bad value is reported once, not again as a confusing consequence.
 */
import { cidrsOverlap, coversEveryAddress, maxVpcPrefixFor, parseCidr } from '../model/cidr';
import {
  CANARY_TIMEOUT_SECONDS,
  fastWindowProblems,
  gateSettingsProblems,
  ORCHESTRATOR_TIMEOUT_SECONDS,
} from '../../lambda/facts/timing';
import { minimumHealthTimeoutSeconds } from '../model/health-timeout';
import { ConfigValues, KeyProblem } from './config-schema';
import { RTO_KEYS, rtoProblems } from './rto-problems';

export const CROSS_CHECKS: { keys: (keyof ConfigValues)[]; check(s: ConfigValues): KeyProblem[] }[] = [
  {
    // Issue 23: an allowlist that shuts out the canaries and Route 53's checkers blinds the gate:
    // every probe times out as if the region were gone (a healthy primary was promoted with data
    // loss in the drill). The canaries run outside any VPC (lib/failover/canary.ts) with no fixed
    // source address, and Route 53's checkers probe from AWS addresses in many regions, so only a
    // list that admits every address keeps them in; filter clients with the WAF instead.
    keys: ['allowedIngressCidrs'],
    check: (s) =>
      coversEveryAddress(s.allowedIngressCidrs.map(parseCidr))
        ? []
        : [
            [
              'allowedIngressCidrs',
              "would shut out the failover canaries (Lambda functions in eu-west-1 and us-west-2 with no fixed source address) and Route 53's health checkers, and a blind gate reads a healthy primary as a lost region: list 0.0.0.0/0 (or blocks that add up to it) and filter clients with the WAF (wafRateLimit)",
            ],
          ],
  },
  {
    keys: ['failoverProbeIntervalSeconds', 'failoverRecoveryWindowSeconds', 'failoverFastWindowSeconds'],
    check: (s) => fastWindowProblems(s).map(([, message]): KeyProblem => ['failoverFastWindowSeconds', message]),
  },
  {
    keys: ['primaryVpcCidr', 'secondaryVpcCidr', 'azCount'],
    check: (s) => {
      const problems: KeyProblem[] = [];
      const maxPrefix = maxVpcPrefixFor(s.azCount);
      for (const key of ['primaryVpcCidr', 'secondaryVpcCidr'] as const) {
        if (parseCidr(s[key]).prefix > maxPrefix) {
          problems.push([
            key,
            `is too small for ${2 * s.azCount} subnets of at least /28: use /${maxPrefix} or larger`,
          ]);
        }
      }
      return problems;
    },
  },
  {
    keys: ['primaryVpcCidr', 'secondaryVpcCidr'],
    check: (s) =>
      cidrsOverlap(parseCidr(s.primaryVpcCidr), parseCidr(s.secondaryVpcCidr))
        ? [['secondaryVpcCidr', `overlaps primaryVpcCidr ${s.primaryVpcCidr}: peered VPCs need disjoint ranges`]]
        : [],
  },
  {
    keys: ['asgMinSize', 'asgDesiredCapacity', 'asgMaxSize'],
    check: (s) =>
      s.asgMinSize <= s.asgDesiredCapacity && s.asgDesiredCapacity <= s.asgMaxSize
        ? []
        : [
            [
              'asgDesiredCapacity',
              `must satisfy asgMinSize (${s.asgMinSize}) <= desired <= asgMaxSize (${s.asgMaxSize})`,
            ],
          ],
  },
  {
    keys: ['albHealthCheckTimeoutSeconds', 'albHealthCheckIntervalSeconds'],
    check: (s) =>
      s.albHealthCheckTimeoutSeconds < s.albHealthCheckIntervalSeconds
        ? []
        : [
            [
              'albHealthCheckTimeoutSeconds',
              `must be less than albHealthCheckIntervalSeconds (${s.albHealthCheckIntervalSeconds})`,
            ],
          ],
  },
  {
    // Global Accelerator drops the region when ANY target group has no healthy target: the
    // Lambda target's check must outlast the order API's bounded health answer plus its invocation.
    keys: ['albHealthCheckTimeoutSeconds'],
    check: (s) =>
      s.albHealthCheckTimeoutSeconds >= minimumHealthTimeoutSeconds()
        ? []
        : [
            [
              'albHealthCheckTimeoutSeconds',
              `must be at least ${minimumHealthTimeoutSeconds()} s: /health answers within its deadline plus a Lambda invocation, and one timed-out target group takes the region out of Global Accelerator`,
            ],
          ],
  },
  {
    keys: ['tls', 'primaryCertificateArn', 'secondaryCertificateArn', 'primaryRegion', 'secondaryRegion'],
    check: (s) => {
      const sides = [
        ['primaryCertificateArn', s.primaryRegion],
        ['secondaryCertificateArn', s.secondaryRegion],
      ] as const;
      if (s.tls !== 'provided') {
        return sides
          .filter(([key]) => s[key] !== undefined)
          .map(([key]): KeyProblem => [key, `is read only with tls: provided (tls is ${s.tls})`]);
      }
      return sides.flatMap(([key, region]): KeyProblem[] => {
        const arn = s[key];
        if (arn === undefined) return [[key, `is required with tls: provided (the ALB in ${region} serves HTTPS too)`]];
        const arnRegion = arn.split(':')[3];
        return arnRegion === region
          ? []
          : [[key, `is a certificate in ${arnRegion}; an ALB takes certificates of its own region (${region})`]];
      });
    },
  },
  {
    keys: ['alarmLambdaDurationP99Ms', 'lambdaTimeoutSeconds'],
    check: (s) =>
      s.alarmLambdaDurationP99Ms < s.lambdaTimeoutSeconds * 1000
        ? []
        : [
            [
              'alarmLambdaDurationP99Ms',
              `must be below lambdaTimeoutSeconds (${s.lambdaTimeoutSeconds} s): a duration never exceeds the timeout, so the alarm could never fire`,
            ],
          ],
  },
  {
    keys: ['dbAppUsername', 'dbMasterUsername'],
    check: (s) =>
      s.dbAppUsername !== s.dbMasterUsername
        ? []
        : [['dbAppUsername', 'must differ from dbMasterUsername (the application never logs in as master)']],
  },
  {
    keys: [...RTO_KEYS, 'rtoTargetSeconds', 'albHealthCheckTimeoutSeconds'],
    check: rtoProblems,
  },
  {
    // Both rate rules see every signed request: a per-client limit above the per-IP one never acts.
    keys: ['wafClientRateLimit', 'wafRateLimit'],
    check: (s) =>
      s.wafClientRateLimit <= s.wafRateLimit
        ? []
        : [
            [
              'wafClientRateLimit',
              `must be at most wafRateLimit (${s.wafRateLimit}): the per-IP rule would block first and the per-client rule never act`,
            ],
          ],
  },
  {
    keys: ['dataProtection', 'keyAdminRoleArns'],
    check: (s) =>
      s.dataProtection === 'protected' && s.keyAdminRoleArns.length === 0
        ? [['keyAdminRoleArns', 'must name at least one key administrator role when dataProtection is protected']]
        : [],
  },
  {
    keys: ['dataProtection', 'clientKeyAdminRoleArns'],
    check: (s) =>
      s.dataProtection === 'protected' && s.clientKeyAdminRoleArns.length === 0
        ? [
            [
              'clientKeyAdminRoleArns',
              'must name at least one role that writes the API client keys when dataProtection is protected',
            ],
          ]
        : [],
  },
  {
    // The gate's own rules (lambda/facts/timing.ts), checked against the timeouts the
    // functions are deployed with: a gate slower than its function could never decide.
    keys: ['failoverProbeIntervalSeconds', 'failoverRecoveryWindowSeconds'],
    check: (s) =>
      gateSettingsProblems({
        failoverProbeIntervalSeconds: s.failoverProbeIntervalSeconds,
        failoverRecoveryWindowSeconds: s.failoverRecoveryWindowSeconds,
        orchestratorTimeoutSeconds: ORCHESTRATOR_TIMEOUT_SECONDS,
        canaryTimeoutSeconds: CANARY_TIMEOUT_SECONDS,
      }).map(([key, message]): KeyProblem => [
        // The timeouts are fixed by the program: a probe interval that outgrows them is the key to change.
        key === 'failoverRecoveryWindowSeconds' ? key : 'failoverProbeIntervalSeconds',
        key === 'failoverRecoveryWindowSeconds' ? message : `makes the ${key} (fixed) too short: ${message}`,
      ]),
  },
];
