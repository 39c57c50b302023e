import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson, resolvedAfter, Statement } from './iam';

export interface SecureBucketArgs {
  readonly name: pulumi.Input<string>;
  /** Extra statements for the bucket policy (e.g. service delivery); TLS-only is always added. */
  readonly statements?: (bucketArn: pulumi.Output<string>) => readonly Statement[];
  /** Ephemeral stacks empty the bucket on destroy; protected stacks keep it (destroy fails while it holds objects). */
  readonly forceDestroy: boolean;
  /** Where S3 server access logs of this bucket go (the region's log archive); none only for the archive itself. */
  readonly accessLogs?: { readonly target: SecureBucket; readonly prefix: string };
}

export interface SecureBucket {
  readonly bucket: aws.s3.Bucket;
  /** Versioning on: what an upload that needs a version id (a signing job's source) waits for. */
  readonly versioning: aws.s3.BucketVersioning;
  /** TLS-only plus the service grants given in `statements`. */
  readonly policy: aws.s3.BucketPolicy;
  /**
   * The bucket's name, resolved only once its policy is in place: what a delivering service
   * (AWS Config, ELB access logs, S3 server access logging) is pointed at, so it never checks
   * its permission before the grant exists.
   */
  readonly deliveryName: pulumi.Output<string>;
}

/**
 * An S3 bucket the way every bucket here is made: encrypted at rest (SSE-S3: the only kind ELB
 * access-log delivery accepts), versioned (an overwritten or deleted object can be recovered,
 * and a reader can pin a version), public access blocked, TLS-only policy, server access logs to
 * the region's log archive; destroyable with its contents unless the stack is protected.
 */
export function secureBucket(
  logicalName: string,
  args: SecureBucketArgs,
  opts: pulumi.CustomResourceOptions,
): SecureBucket {
  // No deleteBeforeReplace: buckets hold the audit trail; a replacement (a new name) is a
  // migration, and the name clash stops an accidental one before anything is deleted.
  const bucket = new aws.s3.Bucket(logicalName, { bucket: args.name, forceDestroy: args.forceDestroy }, opts);
  const child = { ...opts, parent: bucket };
  const versioning = new aws.s3.BucketVersioning(
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
  const policy = new aws.s3.BucketPolicy(
    logicalName,
    { bucket: bucket.id, policy: policyJson([tlsOnly, ...(args.statements?.(bucket.arn) ?? [])]) },
    { ...child, dependsOn: [block] },
  );
  if (args.accessLogs) {
    new aws.s3.BucketLogging(
      logicalName,
      {
        bucket: bucket.id,
        targetBucket: args.accessLogs.target.deliveryName,
        targetPrefix: `${args.accessLogs.prefix}/`,
      },
      child,
    );
  }
  return { bucket, versioning, policy, deliveryName: resolvedAfter(bucket.bucket, [policy]) };
}
