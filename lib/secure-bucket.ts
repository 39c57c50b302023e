import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson, Statement } from './iam';

export interface SecureBucketArgs {
  readonly name: pulumi.Input<string>;
  /** Extra statements for the bucket policy (e.g. service delivery); TLS-only is always added. */
  readonly statements?: (bucketArn: pulumi.Output<string>) => readonly Statement[];
  /** Ephemeral stacks empty the bucket on destroy; protected stacks keep it (destroy fails while it holds objects). */
  readonly forceDestroy: boolean;
}

/**
 * An S3 bucket the way every bucket here is made: encrypted at rest, versioned (an overwritten
 * or deleted object can be recovered, and a reader can pin a version), public access blocked,
 * TLS-only policy; destroyable with its contents unless the stack is protected.
 */
export function secureBucket(
  logicalName: string,
  args: SecureBucketArgs,
  opts: pulumi.CustomResourceOptions,
): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(logicalName, { bucket: args.name, forceDestroy: args.forceDestroy }, opts);
  const child = { ...opts, parent: bucket };
  new aws.s3.BucketVersioning(
    logicalName,
    { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
    child,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    logicalName,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    },
    child,
  );
  const block = new aws.s3.BucketPublicAccessBlock(
    logicalName,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    child,
  );
  const tlsOnly = {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny' as const,
    Principal: '*',
    Action: 's3:*',
    Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
  new aws.s3.BucketPolicy(
    logicalName,
    { bucket: bucket.id, policy: policyJson([tlsOnly, ...(args.statements?.(bucket.arn) ?? [])]) },
    { ...child, dependsOn: [block] },
  );
  return bucket;
}
