/**
 * `awsConfigRecorder: auto` (the default): the program reads each region's AWS Config recorders
 * while it plans and creates one only where the region has none, so a stack deploys into an
 * account where Control Tower or Security Hub already records (one customer managed recorder
 * per region and account: a second fails at `pulumi up`).
 */
import { configRecorderChoice } from '../lib/preflight/config-recorder-choice';
import { existingRecorders } from '../lib/preflight/existing-recorders';
import { ofType, plan } from './helpers/plan';

const OWN = 'config-recorder-use1-dev';

describe('the choice (pure)', () => {
  it('creates where the region has no customer managed recorder (service-linked ones do not count)', () => {
    expect(configRecorderChoice('auto', OWN, []).mode).toBe('create');
    expect(
      configRecorderChoice('auto', OWN, [
        { name: 'AWSConfigurationRecorderForSecurityHub', servicePrincipal: 'securityhub.amazonaws.com' },
      ]).mode,
    ).toBe('create');
  });

  it('keeps managing the stack’s own recorder (an earlier up made it), and leaves any other in place', () => {
    expect(configRecorderChoice('auto', OWN, [{ name: OWN, recording: true }]).mode).toBe('create');
    expect(configRecorderChoice('auto', OWN, [{ name: 'default', recording: true }])).toEqual({
      mode: 'reuse',
      recorder: 'default',
      reason: "the account's recorder default",
    });
    expect(
      configRecorderChoice('auto', OWN, [{ name: 'aws-controltower-BaselineConfigRecorder', recording: false }]).reason,
    ).toMatch(/stopped: the rules evaluate nothing/);
  });

  it('create and reuse force the choice, and auto without a look-up is an error, not a guess', () => {
    expect(configRecorderChoice('create', OWN, [{ name: 'default' }]).mode).toBe('create');
    expect(configRecorderChoice('reuse', OWN, []).mode).toBe('reuse');
    expect(() => configRecorderChoice('auto', OWN, undefined)).toThrow(/awsConfigRecorder: auto/);
  });

  it('reads every region only for auto', async () => {
    const asked: string[] = [];
    const read = async (region: string) => {
      asked.push(region);
      return region === 'us-east-1' ? [{ name: 'default' }] : [];
    };
    expect(await existingRecorders('create', ['us-east-1', 'eu-west-1'], read)).toBeUndefined();
    expect(asked).toEqual([]);
    expect(await existingRecorders('auto', ['us-east-1', 'eu-west-1'], read)).toEqual({
      'us-east-1': [{ name: 'default' }],
      'eu-west-1': [],
    });
  });
});

describe('the planned stack', () => {
  it('an account that records in us-east-1 keeps its recorder there; eu-west-1, which has none, gets the stack’s', async () => {
    const run = await plan({ 'offline:configRecorder@us-east-1': 'aws-controltower-BaselineConfigRecorder' });
    const regions = (type: string) =>
      ofType(run, type)
        .map((r) => r.region)
        .sort();
    expect(regions('aws:cfg/recorder:Recorder')).toEqual(['eu-west-1']);
    expect(regions('aws:cfg/deliveryChannel:DeliveryChannel')).toEqual(['eu-west-1']);
    expect(regions('aws:cfg/recorderStatus:RecorderStatus')).toEqual(['eu-west-1']);
    // The rules still go to both regions (the existing recorder evaluates them in us-east-1).
    expect(ofType(run, 'aws:cfg/rule:Rule', 'us-east-1').length).toBeGreaterThan(0);
    expect(run.outputs.awsConfigRecorders).toMatchObject({
      'us-east-1': { mode: 'reuse', recorder: 'aws-controltower-BaselineConfigRecorder' },
      'eu-west-1': { mode: 'create' },
    });
  });
});
