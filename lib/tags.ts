/** The tags every taggable resource carries, applied through each provider's defaultTags. */
export const REQUIRED_TAG_KEYS = ['Environment', 'Region', 'CostCenter'] as const;

export type RequiredTags = Record<(typeof REQUIRED_TAG_KEYS)[number], string>;

export function requiredTags(environmentSuffix: string, costCenter: string, region: string): RequiredTags {
  return { Environment: environmentSuffix, Region: region, CostCenter: costCenter };
}

/**
 * Auto Scaling groups take tags as a list (defaultTags do not reach them or their instances),
 * so the same tags are propagated to the instances they launch.
 */
export function asgTags(tags: RequiredTags): { key: string; value: string; propagateAtLaunch: boolean }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
}
