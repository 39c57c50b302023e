/**
 * The API client keys secret, planned: its resource policy lets only the roles that verify
 * requests (and the key admins) read it and only the named key-admin roles change its value,
 * whatever IAM grants anyone else (a PowerUser, the CI role); every write is reported on the
 * primary's alarm topic, whose policy lets EventBridge publish.
 */
import { parseSettings, readRawConfig } from '../lib/config';
import { alarmTopicPolicy } from '../lib/alarms/alarm-topic';
import {
  CLIENT_KEY_VALUE_WRITES,
  clientKeysPolicyDocument,
  clientKeysWritePattern,
} from '../lib/security/client-keys-guard';
import { readProject, stackConfig } from '../scripts/offline';
import { ofType, plan, PROTECTED } from './helpers/plan';

/** The planned stack names a key-admin role: the protected one (a protected stack must name one). */
const KEY_ADMIN = JSON.parse(PROTECTED.clientKeyAdminRoleArns)[0] as string;

type Statement = {
  Sid: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
};

/** Who a Deny-unless-listed statement lets through: the ArnNotEquals aws:PrincipalArn list. */
const exempt = (s: Statement) => s.Condition?.ArnNotEquals?.['aws:PrincipalArn'] ?? [];

describe('the client keys secret policy, planned', () => {
  it('denies reads to everyone but the trading functions and instance roles of both regions (and the key admins)', async () => {
    const run = await plan(PROTECTED);
    const policies = ofType(run, 'aws:secretsmanager/secretPolicy:SecretPolicy');
    expect(policies).toHaveLength(1);
    const doc = JSON.parse(policies[0].inputs.policy) as { Statement: Statement[] };
    const read = doc.Statement.find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))!;
    expect([read.Effect, read.Principal]).toEqual(['Deny', '*']);
    const verifiers = ['use1', 'euw1'].flatMap((code) =>
      [`role-fn-trading-${code}-dev`, `role-ec2-trading-${code}-dev`].map((n) => `arn:aws:iam::123456789012:role/${n}`),
    );
    expect(
      ofType(run, 'aws:iam/role:Role').filter((r) => verifiers.some((v) => v.endsWith(`/${r.name}`))),
    ).toHaveLength(4);
    expect([...exempt(read)].sort()).toEqual([...verifiers, KEY_ADMIN].sort());
    expect(policies[0].inputs.blockPublicPolicy).toBe(true);
    // The secret it guards is the client keys secret (the replica gets it from Secrets Manager).
    expect(policies[0].inputs.secretArn).toMatch(/secret-api-clients-dev/);
  });

  it('denies value writes to everyone but the named key-admin roles', async () => {
    const run = await plan(PROTECTED);
    const doc = JSON.parse(ofType(run, 'aws:secretsmanager/secretPolicy:SecretPolicy')[0].inputs.policy) as {
      Statement: Statement[];
    };
    const write = doc.Statement.find((s) => [s.Action].flat().includes('secretsmanager:PutSecretValue'))!;
    expect([write.Effect, [write.Action].flat().sort()]).toEqual(['Deny', [...CLIENT_KEY_VALUE_WRITES].sort()]);
    expect(exempt(write)).toEqual([KEY_ADMIN]);
  });

  it('a protected stack must name the key-admin role (the config error names the key)', () => {
    const project = readProject();
    const raw = readRawConfig(
      project.name,
      stackConfig('dev', { dataProtection: 'protected', keyAdminRoleArns: JSON.stringify([KEY_ADMIN]) }),
    );
    expect(() => parseSettings(raw)).toThrow(
      /clientKeyAdminRoleArns: must name at least one role that writes the API client keys/,
    );
  });

  it('every write is reported: an EventBridge rule on CloudTrail events for the secret, to the primary alarm topic', async () => {
    const run = await plan(PROTECTED);
    const rule = ofType(run, 'aws:cloudwatch/eventRule:EventRule').find((r) => /client-keys-writes/.test(r.name))!;
    expect(rule.region).toBe('us-east-1');
    const pattern = JSON.parse(rule.inputs.eventPattern);
    expect(pattern.detail.eventName).toEqual(
      expect.arrayContaining(['PutSecretValue', 'UpdateSecret', 'PutResourcePolicy', 'DeleteResourcePolicy']),
    );
    expect(pattern.detail.requestParameters.secretId).toEqual([{ wildcard: '*secret-api-clients-dev*' }]);
    const target = ofType(run, 'aws:cloudwatch/eventTarget:EventTarget').find((t) => t.parent === rule.urn)!;
    expect(target.inputs.arn).toMatch(/^arn:aws:sns:us-east-1:123456789012:.*alarm/);
    // EventBridge may publish to it: the topic's own policy says so.
    const topicPolicy = ofType(run, 'aws:sns/topicPolicy:TopicPolicy').find((p) => p.inputs.arn === target.inputs.arn)!;
    expect(target.dependsOn).toContain(topicPolicy.urn); // the rule publishes only once it is admitted
    const statements = JSON.parse(topicPolicy.inputs.policy).Statement as {
      Principal: { Service?: string[] };
      Action: string;
    }[];
    expect(
      statements.some((s) => s.Principal.Service?.includes('events.amazonaws.com') && s.Action === 'sns:Publish'),
    ).toBe(true);
  });
});

describe('the documents, directly', () => {
  it('without key admins the write statement is left out (writes stay with IAM), reads are still fenced', () => {
    const doc = clientKeysPolicyDocument(['arn:aws:iam::1:role/r'], []) as { Statement: Statement[] };
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['ReadOnlyByVerifiersAndKeyAdmins']);
    expect(() => clientKeysPolicyDocument([], [KEY_ADMIN])).toThrow(/at least one reading role/);
  });

  it('the write pattern names the secret by name or ARN', () => {
    expect(clientKeysWritePattern('s-1')).toMatchObject({ 'detail-type': ['AWS API Call via CloudTrail'] });
  });

  it('alarm topics take only this account’s CloudWatch and EventBridge, and only over TLS', () => {
    const doc = alarmTopicPolicy('arn:aws:sns:us-east-1:1:t', '1') as {
      Statement: { Sid: string; Condition?: object }[];
    };
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['OwnerAccount', 'AlarmsAndRulesPublish', 'TlsOnly']);
    expect(doc.Statement[1].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '1' } });
  });
});

// Keep the settings import honest: the dev stack parses with the new key defaulted.
it('the dev stack defaults clientKeyAdminRoleArns to none', () => {
  expect(parseSettings(readRawConfig(readProject().name, stackConfig('dev'))).clientKeyAdminRoleArns).toEqual([]);
});
