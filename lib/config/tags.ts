/** The tags every taggable resource carries, applied through each provider's defaultTags. */
export const REQUIRED_TAG_KEYS = ['Environment', 'Region', 'CostCenter'] as const;

export type RequiredTags = Record<(typeof REQUIRED_TAG_KEYS)[number], string>;

export function requiredTags(environmentSuffix: string, costCenter: string, region: string): RequiredTags {
  return { Environment: environmentSuffix, Region: region, CostCenter: costCenter };
}

/**
 * Tag on the secrets a rotation function rotates on a schedule (`automatic`): the AWS Config
 * rotation rules are scoped to it, so a secret the operator rotates by hand (the API client
 * keys) is not flagged for lacking a schedule it is not meant to have.
 */
export const ROTATION_TAG = { key: 'Rotation', automatic: 'automatic' } as const;

/**
 * Auto Scaling groups take tags as a list (defaultTags do not reach them or their instances),
 * so the same tags are propagated to the instances they launch.
 */
export function asgTags(tags: RequiredTags): { key: string; value: string; propagateAtLaunch: boolean }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
}
