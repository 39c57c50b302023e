/**
 * The secret value the program writes first, held by a permanent staging label.
 *
 * Why: after a rotation (or an operator's write) the program's version loses AWSCURRENT, then
 * AWSPREVIOUS; a version left without any staging label is "deprecated and can be deleted by
 * Secrets Manager" (Secrets Manager API reference, UpdateSecretVersionStage; DescribeSecret
 * VersionIdsToStages). Once deleted, the provider finds no version under the id in its state, drops
 * the resource, and the next `pulumi up` creates it again, and a new version without labels given
 * takes AWSCURRENT (PutSecretValue: "If you don't include VersionStages, then Secrets Manager
 * automatically moves the staging label AWSCURRENT to this version"): the first password or key
 * would come back as current. A label of our own keeps the version labelled, so it is never
 * deprecated, never deleted and never re-created. The label marks "what the program wrote at
 * creation", nothing reads it.
 *
 * AWSCURRENT is in the list because the first version must carry it (the provider shows a
 * perpetual diff otherwise: pulumi-aws SecretVersion `versionStages`); `versionStages` is ignored
 * afterwards, or `pulumi up` would move AWSCURRENT back to this version and undo every rotation.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const PROGRAM_VERSION_LABEL = 'TAP_PROGRAM_WRITTEN';

export function programSecretVersion(
  name: string,
  secret: aws.secretsmanager.Secret,
  value: pulumi.Input<string>,
): aws.secretsmanager.SecretVersion {
  return new aws.secretsmanager.SecretVersion(
    name,
    { secretId: secret.id, secretString: value, versionStages: ['AWSCURRENT', PROGRAM_VERSION_LABEL] },
    // After the first rotation (or the operator's first write) the value and the labels are not the program's.
    { parent: secret, ignoreChanges: ['secretString', 'versionStages'] },
  );
}
