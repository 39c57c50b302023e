import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** The workflow's AWS credential step and the job around it. */
function deployJob() {
  const workflow = parse(fs.readFileSync(path.join(__dirname, '..', '.github', 'workflows', 'ci.yml'), 'utf8'));
  const job = Object.values<any>(workflow.jobs).find((j) =>
    j.steps.some((s: any) => s.uses?.startsWith('aws-actions/configure-aws-credentials')),
  );
  const credentials = job.steps.find((s: any) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
  return { job, roleExpression: String(credentials.with['role-to-assume']) };
}

/** Evaluate the `a && b || c` expression GitHub uses for the role, for one event. */
function roleFor(expression: string, event: 'pull_request' | 'push'): string {
  const match = /^\$\{\{\s*github\.event_name == '(\w+)' && secrets\.(\w+) \|\| secrets\.(\w+)\s*\}\}$/.exec(
    expression,
  );
  if (!match) throw new Error(`unexpected role expression: ${expression}`);
  return event === match[1] ? match[2] : match[3];
}

describe('CI credentials', () => {
  it('pull requests preview with the read-only role; only pushes use the deploy role', () => {
    const { roleExpression } = deployJob();
    expect(roleFor(roleExpression, 'pull_request')).toBe('AWS_PREVIEW_ROLE_ARN');
    expect(roleFor(roleExpression, 'push')).toBe('AWS_DEPLOY_ROLE_ARN');
  });

  it('pull-request runs have no environment, so their OIDC subject is repo:OWNER/REPO:pull_request', () => {
    const { job } = deployJob();
    expect(String(job.environment)).toMatch(/^\$\{\{\s*github\.event_name == 'push' && matrix\.stack \|\| ''\s*\}\}$/);
  });
});
