/**
 * The account's AWS Config recorders per region, read while the program plans (the AWS SDK's
 * DescribeConfigurationRecorders and DescribeConfigurationRecorderStatus: no Pulumi data source
 * reads them). Needs `config:DescribeConfigurationRecorders` and
 * `config:DescribeConfigurationRecorderStatus` in each region (docs/deployer-policy.json; the CI
 * preview role too).
 */
import {
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
} from '@aws-sdk/client-config-service';
import { ExistingRecorder } from './config-recorder-choice';

/** Reads one region's recorders (injectable: the offline plan and the tests fake it). */
export type RecorderReader = (region: string) => Promise<readonly ExistingRecorder[]>;

/** The SDK reader, with the ambient credentials `pulumi preview` / `up` run with. */
export const describeRecorders: RecorderReader = async (region) => {
  const client = new ConfigServiceClient({ region });
  try {
    const [{ ConfigurationRecorders = [] }, { ConfigurationRecordersStatus = [] }] = await Promise.all([
      client.send(new DescribeConfigurationRecordersCommand({})),
      client.send(new DescribeConfigurationRecorderStatusCommand({})),
    ]);
    return ConfigurationRecorders.map((r) => ({
      name: r.name ?? 'default',
      servicePrincipal: r.servicePrincipal,
      recording: ConfigurationRecordersStatus.find((s) => s.name === r.name)?.recording,
    }));
  } catch (e) {
    throw new Error(
      `awsConfigRecorder: auto could not read the AWS Config recorders in ${region} (${(e as Error).message}). ` +
        'Grant config:DescribeConfigurationRecorders and config:DescribeConfigurationRecorderStatus, ' +
        'or set awsConfigRecorder to create (no recorder in the account) or reuse (one exists).',
    );
  } finally {
    client.destroy();
  }
};

/** Every region's recorders, or undefined when the setting needs no look-up (create, reuse). */
export async function existingRecorders(
  setting: string,
  regions: readonly string[],
  read: RecorderReader,
): Promise<Readonly<Record<string, readonly ExistingRecorder[]>> | undefined> {
  if (setting !== 'auto') return undefined;
  const found = await Promise.all(regions.map(async (region) => [region, await read(region)] as const));
  return Object.fromEntries(found);
}
