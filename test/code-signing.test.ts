/**
 * Lambda code signing (issue 25, the lows), `lambdaCodeSigning: warn | enforce`: every function
 * in every region deploys a package its own region's AWS Signer profile signed, through a code
 * signing configuration that trusts that profile only. Rules encoded from AWS and the provider:
 * - Signer profile names match `^[0-9A-Za-z_]{0,64}$` (terraform-provider-aws,
 *   internal/service/signer/signing_profile.go; API: `^[a-zA-Z0-9_]{2,}`), name_prefix at most 38;
 *   a cancelled profile keeps its name two years (CancelSigningProfile), hence a prefix.
 * - The Lambda platform is `AWSLambda-SHA384-ECDSA` (Lambda developer guide, code signing).
 * - A signing job reads an S3 object by version (StartSigningJob Source.S3.Version): the bucket
 *   is versioned before the upload.
 * - UntrustedArtifactOnDeployment is `Warn` or `Enforce` (Lambda API, CodeSigningPolicies).
 */
import { unzipSync } from 'fflate';
import { deploymentPackage, LAMBDA_SIGNING_PLATFORM, signingProfilePrefix } from '../lib/functions/code-signing';
import type { OfflineRun, RecordedResource } from '../scripts/offline';
import { FEATURES_ON, named, ofType, plan } from './helpers/plan';

const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'] as const;

const inRegion = (run: OfflineRun, type: string, region: string): RecordedResource => {
  const found = ofType(run, type, region);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('lambdaCodeSigning: enforce', () => {
  it('every function deploys its region’s signed package under a configuration that enforces it', async () => {
    // With game days on too (FEATURES_ON, shared with policy.test.ts): their functions are signed as well.
    const run = await plan(FEATURES_ON);
    const functions = ofType(run, 'aws:lambda/function:Function');
    expect(new Set(functions.map((f) => f.region))).toEqual(new Set(REGIONS));
    for (const fn of functions) {
      const region = fn.region!;
      const config = inRegion(run, 'aws:lambda/codeSigningConfig:CodeSigningConfig', region);
      const profile = inRegion(run, 'aws:signer/signingProfile:SigningProfile', region);
      const bucket = ofType(run, 'aws:s3/bucket:Bucket', region).find((b) => b.name.startsWith('lambda-code-'))!;
      expect(fn.inputs.code).toBeUndefined();
      expect(fn.inputs.codeSigningConfigArn).toMatch(
        new RegExp(`^arn:aws:lambda:${region}:\\d{12}:.*/${config.name}$`),
      );
      expect(fn.inputs.s3Bucket).toBe(bucket.inputs.bucket);
      // Signer names the signed object under the job's destination prefix.
      expect(fn.inputs.s3Key).toMatch(new RegExp(`^signed/${fn.inputs.name}/[0-9a-f]+\\.zip$`));
      const job = named(run, 'aws:signer/signingJob:SigningJob', `${fn.inputs.name}-signing`);
      expect(job.region).toBe(region);
      expect(job.inputs.profileName).toMatch(new RegExp(`^${profile.inputs.namePrefix}`));
      expect(job.inputs.ignoreSigningJobFailure).toBe(false);
      const unsigned = named(run, 'aws:s3/bucketObjectv2:BucketObjectv2', `${fn.inputs.name}-unsigned`);
      expect(job.inputs.source.s3).toMatchObject({ bucket: bucket.inputs.bucket, key: unsigned.inputs.key });
      expect(job.inputs.source.s3.version).toMatch(/^v-/);
      expect(job.inputs.destination.s3).toEqual({ bucket: bucket.inputs.bucket, prefix: `signed/${fn.inputs.name}/` });
    }
  });

  it.each(REGIONS)(
    '%s: a Lambda profile named by a valid prefix, trusted alone, and a versioned bucket',
    async (region) => {
      const run = await plan(FEATURES_ON);
      const profile = inRegion(run, 'aws:signer/signingProfile:SigningProfile', region);
      expect(profile.inputs.platformId).toBe(LAMBDA_SIGNING_PLATFORM);
      expect(profile.inputs.name).toBeUndefined();
      expect(profile.inputs.namePrefix).toMatch(/^[0-9A-Za-z_]{2,38}$/);
      const config = inRegion(run, 'aws:lambda/codeSigningConfig:CodeSigningConfig', region);
      expect(config.inputs.policies).toEqual({ untrustedArtifactOnDeployment: 'Enforce' });
      expect(config.inputs.allowedPublishers.signingProfileVersionArns).toEqual([
        expect.stringMatching(
          new RegExp(`^arn:aws:signer:${region}:\\d{12}:/signing-profiles/${profile.inputs.namePrefix}`),
        ),
      ]);
      const bucket = ofType(run, 'aws:s3/bucket:Bucket', region).find((b) => b.name.startsWith('lambda-code-'))!;
      const versioning = ofType(run, 'aws:s3/bucketVersioning:BucketVersioning', region).find(
        (v) => v.name === bucket.name,
      )!;
      expect(versioning.inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
      // Every upload waits for versioning: the signing job needs the object's version.
      for (const object of ofType(run, 'aws:s3/bucketObjectv2:BucketObjectv2', region).filter((o) =>
        o.name.endsWith('-unsigned'),
      ))
        expect(object.dependsOn).toContain(versioning.urn);
    },
  );

  it('warn logs unsigned code instead of refusing it; off (the default) deploys inline, without Signer', async () => {
    const warn = await plan({ lambdaCodeSigning: 'warn' });
    for (const config of ofType(warn, 'aws:lambda/codeSigningConfig:CodeSigningConfig'))
      expect(config.inputs.policies).toEqual({ untrustedArtifactOnDeployment: 'Warn' });
    const off = await plan();
    expect(off.resources.filter((r) => r.type.startsWith('aws:signer/'))).toEqual([]);
    for (const fn of ofType(off, 'aws:lambda/function:Function')) {
      expect(fn.inputs.codeSigningConfigArn).toBeUndefined();
      expect(fn.inputs.code).toBeDefined();
    }
  });
});

describe('the package that is signed', () => {
  it('holds index.js, and the same code always zips to the same bytes (one upload, one signing job)', () => {
    const zip = deploymentPackage('exports.handler = async () => 1;');
    expect(Buffer.from(deploymentPackage('exports.handler = async () => 1;')).equals(Buffer.from(zip))).toBe(true);
    expect(Object.keys(unzipSync(zip))).toEqual(['index.js']);
    expect(Buffer.from(unzipSync(zip)['index.js']).toString()).toBe('exports.handler = async () => 1;');
    expect(Buffer.from(deploymentPackage('exports.handler = async () => 2;')).equals(Buffer.from(zip))).toBe(false);
  });

  it('profile prefixes turn hyphens into underscores and refuse what Signer refuses', () => {
    expect(signingProfilePrefix('code-signing-use1-pr-12')).toBe('code_signing_use1_pr_12_');
    expect(() => signingProfilePrefix('code-signing-use1-a-very-long-environment-suffix')).toThrow(/2-38 letters/);
    expect(() => signingProfilePrefix('code.signing')).toThrow(/letters, digits or _/);
  });
});
