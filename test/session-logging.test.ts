/**
 * Session Manager with session logging (issue 25, the lows): each application region has its own
 * Session document that streams every session to an encrypted log group, and the instances may
 * write to that group only. Document rules (CreateDocument, Systems Manager API reference): name
 * [a-zA-Z0-9_.-]{3,128}, not starting with the reserved prefixes aws, amazon or amzn; Session
 * documents take schemaVersion 1.0 only (Session document schema, Systems Manager user guide).
 */
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const REGIONS = [
  ['use1', PRIMARY],
  ['euw1', SECONDARY],
] as const;

describe('every session on an order API instance is logged', () => {
  it.each(REGIONS)('%s: a Session document streams to an encrypted log group of its region', async (code, region) => {
    const run = await plan();
    const documents = ofType(run, 'aws:ssm/document:Document', region);
    expect(documents.map((d) => d.inputs.name)).toEqual([`ssm-session-${code}-dev`]);
    const [document] = documents;
    expect(document.inputs.name).toMatch(/^[a-zA-Z0-9_.-]{3,128}$/);
    expect(document.inputs.name).not.toMatch(/^(aws|amazon|amzn)/i);
    expect(document.inputs).toMatchObject({ documentType: 'Session', documentFormat: 'JSON' });
    const content = JSON.parse(document.inputs.content as string);
    expect(content).toMatchObject({
      schemaVersion: '1.0',
      sessionType: 'Standard_Stream',
      inputs: {
        cloudWatchLogGroupName: `/tap/log-group-ssm-session-${code}-dev`,
        cloudWatchEncryptionEnabled: true,
        cloudWatchStreamingEnabled: true,
        runAsEnabled: false,
      },
    });
    // The schema's durations are minute counts written as strings.
    expect(content.inputs.idleSessionTimeout).toMatch(/^\d+$/);
    expect(content.inputs.maxSessionDuration).toMatch(/^\d+$/);

    const logGroup = named(run, 'aws:cloudwatch/logGroup:LogGroup', `log-group-ssm-session-${code}-dev`);
    expect(logGroup.region).toBe(region);
    expect(logGroup.inputs.name).toBe(content.inputs.cloudWatchLogGroupName);
    expect(logGroup.inputs.kmsKeyId).toBe(`arn:aws:kms:${region}:123456789012:key/kms-logs-${code}-dev`);
  });

  it.each(REGIONS)('%s: the instances may write to the session log group and no other', async (code) => {
    const run = await plan();
    const policy = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', `role-ec2-trading-${code}-dev`).inputs.policy as string,
    ) as { Statement: { Sid?: string; Action: string | string[]; Resource: string | string[] }[] };
    const writes = policy.Statement.filter((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(writes).toHaveLength(1);
    // The group and its streams, by the group's ARN (the offline ARN ends with the group's name).
    const resources = [writes[0].Resource].flat();
    expect(resources).toHaveLength(2);
    const [group] = resources.filter((r) => !r.endsWith(':*'));
    expect(group).toMatch(new RegExp(`log-group-ssm-session-${code}-dev$`));
    expect(resources).toContain(`${group}:*`);
    const describe = policy.Statement.find((s) => [s.Action].flat().includes('logs:DescribeLogGroups'));
    expect(describe?.Resource).toMatch(/^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:\*$/);
  });
});
