import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { zipSync } from 'fflate';
import { Settings } from '../config';
import { Namer } from '../config/naming';
import { secureBucket, SecureBucket } from '../security/secure-bucket';

/** AWS Signer's signing platform for Lambda deployment packages (Lambda developer guide, code signing). */
export const LAMBDA_SIGNING_PLATFORM = 'AWSLambda-SHA384-ECDSA';

/**
 * Signer profile names allow letters, digits and `_` only, up to 64 (`^[0-9A-Za-z_]{0,64}$` in the
 * provider; `^[a-zA-Z0-9_]{2,}` in the API), and a profile that is cancelled (what a destroy does)
 * keeps its name for two years (CancelSigningProfile). So the profile is named by prefix (at most
 * 38 characters; the provider appends a unique id), hyphens turned into underscores: the one
 * exception to `{resource-type}-{environmentSuffix}`, and a recreated stack never collides.
 */
export function signingProfilePrefix(name: string): string {
  const prefix = `${name.replace(/-/g, '_')}_`;
  if (!/^[0-9A-Za-z_]{2,38}$/.test(prefix))
    throw new Error(`signing profile prefix "${prefix}" must be 2-38 letters, digits or _`);
  return prefix;
}

/** Fixed entry time: the same bundle always zips to the same bytes (one upload, one signing job). */
const ZIP_EPOCH = new Date('1980-01-01T00:00:00Z');

/** A Lambda deployment package (`index.js` at its root), byte for byte the same for the same code. */
export function deploymentPackage(source: string): Uint8Array {
  return zipSync({ 'index.js': [Buffer.from(source), { mtime: ZIP_EPOCH }] }, { level: 9, mtime: ZIP_EPOCH });
}

/**
 * The package as a file for the upload (an asset the engine reads at deploy time), named by its
 * content: plans running side by side write the same bytes, each through its own temporary name.
 */
function packageFile(source: string): string {
  const zip = deploymentPackage(source);
  const dir = path.join(os.tmpdir(), 'tap-lambda-packages');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${createHash('sha256').update(zip).digest('hex')}.zip`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, zip);
    fs.renameSync(partial, file);
  }
  return file;
}

export interface CodeSigningArgs {
  readonly settings: Settings;
  readonly name: Namer;
}

export interface SignedCode {
  readonly s3Bucket: pulumi.Output<string>;
  readonly s3Key: pulumi.Output<string>;
  readonly codeSigningConfigArn: pulumi.Output<string>;
}

/**
 * Lambda code signing in one region (`lambdaCodeSigning: warn | enforce`): an AWS Signer profile
 * for Lambda, a code signing configuration that trusts only that profile's current version, and a
 * versioned bucket where each function's package is uploaded, signed by a signing job (which
 * needs the source object's version) and read back signed. Lambda then refuses (enforce) or
 * logs (warn) any package the profile did not sign, whoever deploys it.
 */
export class CodeSigning extends pulumi.ComponentResource {
  readonly profile: aws.signer.SigningProfile;
  readonly config: aws.lambda.CodeSigningConfig;
  readonly bucket: SecureBucket;

  constructor(name: string, args: CodeSigningArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:security:CodeSigning', name, {}, opts);
    const { settings, name: n } = args;
    const child = { parent: this };
    const mode = settings.lambdaCodeSigning;
    if (mode === 'off') throw new Error('CodeSigning is built only with lambdaCodeSigning warn or enforce');
    const account = aws.getCallerIdentityOutput({}, child);
    this.bucket = secureBucket(
      n('codeBucket'),
      {
        // S3 names are global across accounts: the account id keeps them unique.
        name: account.accountId.apply((id) => n('codeBucket', id)),
        forceDestroy: settings.dataProtection === 'ephemeral',
      },
      child,
    );
    this.profile = new aws.signer.SigningProfile(
      n('codeSigning'),
      {
        namePrefix: signingProfilePrefix(n('codeSigning')),
        platformId: LAMBDA_SIGNING_PLATFORM,
        // Lambda refuses a package whose signature has expired: longer than any deploy cycle.
        signatureValidityPeriod: { value: 135, type: 'MONTHS' },
      },
      child,
    );
    this.config = new aws.lambda.CodeSigningConfig(
      n('codeSigningConfig'),
      {
        description: `Only packages signed by this stack's profile (${n('codeSigningConfig')})`,
        allowedPublishers: { signingProfileVersionArns: [this.profile.versionArn] },
        policies: { untrustedArtifactOnDeployment: mode === 'enforce' ? 'Enforce' : 'Warn' },
      },
      child,
    );
    this.registerOutputs({ profileVersionArn: this.profile.versionArn, configArn: this.config.arn });
  }

  /** The function's package uploaded, signed and ready for `s3Bucket`/`s3Key`. */
  signedCode(functionName: string, source: string): SignedCode {
    const file = packageFile(source);
    const bucket = this.bucket.bucket;
    const unsigned = new aws.s3.BucketObjectv2(
      `${functionName}-unsigned`,
      { bucket: bucket.bucket, key: `unsigned/${functionName}.zip`, source: new pulumi.asset.FileAsset(file) },
      { parent: bucket, dependsOn: [this.bucket.versioning] },
    );
    const job = new aws.signer.SigningJob(
      `${functionName}-signing`,
      {
        profileName: this.profile.name,
        source: { s3: { bucket: unsigned.bucket, key: unsigned.key, version: unsigned.versionId } },
        destination: { s3: { bucket: bucket.bucket, prefix: `signed/${functionName}/` } },
        // A failed signing fails the deploy: never a function left on unsigned code.
        ignoreSigningJobFailure: false,
      },
      { parent: this.profile },
    );
    const signed = job.signedObjects.apply((objects) => {
      const s3 = objects[0]?.s3s[0];
      if (!s3) throw new Error(`signing job of ${functionName} returned no signed object`);
      return s3;
    });
    return { s3Bucket: signed.bucket, s3Key: signed.key, codeSigningConfigArn: this.config.arn };
  }
}
