/**
 * `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`: the
 * project's invariants, enforced on the real deployment. The config schema (and its defaults)
 * is the one `npm run plan` resolves the same file with (schema.ts).
 */
import { PolicyPack, ReportViolation, ResourceValidationArgs } from '@pulumi/policy';
import { DEFAULT_ENFORCEMENT, POLICIES } from './rules';
import { POLICY_CONFIG_SCHEMA, PolicyContext } from './schema';

new PolicyPack('tap-invariants', {
  policies: POLICIES.map((policy) => ({
    name: policy.name,
    description: policy.description,
    enforcementLevel: DEFAULT_ENFORCEMENT,
    configSchema: POLICY_CONFIG_SCHEMA,
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
