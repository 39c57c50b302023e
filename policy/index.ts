/**
 * `pulumi preview --policy-pack policy` (and `pulumi up`): the project's invariants, enforced
 * on the real deployment. Policy config: environmentSuffix (required), the rest defaulted.
 */
import { PolicyPack, ReportViolation, ResourceValidationArgs } from '@pulumi/policy';
import { PolicyContext, POLICIES } from './rules';

const configSchema = {
  properties: {
    environmentSuffix: { type: 'string' as const },
    publicPorts: { type: 'array' as const, items: { type: 'number' as const }, default: [80, 443] },
    rotationDays: { type: 'number' as const, default: 30 },
    engineVersion: { type: 'string' as const, default: '14.6' },
    dataProtection: { type: 'string' as const, enum: ['ephemeral', 'protected'], default: 'ephemeral' },
  },
  required: ['environmentSuffix'],
};

new PolicyPack('tap-invariants', {
  policies: POLICIES.map((policy) => ({
    name: policy.name,
    description: policy.description,
    enforcementLevel: 'mandatory' as const,
    configSchema,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      const ctx = args.getConfig<PolicyContext>();
      for (const message of policy.validate(
        { type: args.type, name: args.name, urn: args.urn, props: args.props },
        ctx,
      ))
        report(message);
    },
  })),
});
