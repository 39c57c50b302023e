/**
 * Every Markdown file renders as written (scripts/markdown-check.ts, also run by CI): closed
 * fences, headings that are headings, relative links and anchors that resolve.
 */
import { checkMarkdown, checkRepository, slugs } from '../scripts/markdown-check';
import { PROJECT_DIR } from '../scripts/offline';

const none = () => undefined;
const check = (text: string, files: Record<string, string> = {}) =>
  checkMarkdown('doc.md', text, (f) => files[f]).map((p) => p.replace(/^doc\.md:/, ''));

describe('the repository', () => {
  it('every Markdown file passes the check', () => {
    const { files, problems } = checkRepository(PROJECT_DIR);
    expect(files).toContain('README.md');
    expect(files.some((f) => f.startsWith('docs/runbooks/'))).toBe(true);
    expect(problems).toEqual([]);
  });
});

describe('fences', () => {
  it("flags the README's old kill-switch fence: a 4-backtick opener closed by 3 hides the next section", () => {
    // The README as it was (lines 849-872): "### Stop the orchestrator" rendered as code.
    const broken = [
      '# Runbooks',
      '',
      '````bash',
      'aws lambda invoke --function-name $ORCH /tmp/approve.json',
      '``` An SNS message goes to the failover',
      'topic at the same time.',
      '',
      '### Stop the orchestrator (kill switch)',
      '',
      '```bash',
      'aws lambda put-function-concurrency --function-name $ORCH --reserved-concurrent-executions 0',
      '````',
    ].join('\n');
    const problems = check(broken);
    expect(problems).toEqual([
      expect.stringMatching(/^5: a fence marker inside the code block opened at line 3/),
      expect.stringMatching(/^10: a fence marker inside the code block opened at line 3/),
    ]);
    // Closed as intended, it passes.
    expect(
      check(broken.replace('````bash', '```bash').replace('``` An SNS', '```\n\nAn SNS').replace(/````$/, '```')),
    ).toEqual([]);
  });

  it('flags a fence that never closes', () => {
    expect(check('# T\n\n```bash\necho hi\n\n## Next\n')).toEqual([
      expect.stringMatching(/^3: code fence ```bash is never closed/),
    ]);
    expect(check('# T\n\n```bash\necho hi\n```\n\n## Next\n')).toEqual([]);
  });
});

describe('headings', () => {
  it('needs one title first, and every heading line to render as a heading', () => {
    expect(check('Intro\n\n# T\n')).toEqual([expect.stringMatching(/^1: the file does not start/)]);
    expect(check('# T\n\n# U\n')).toEqual([expect.stringMatching(/^3: a second `# ` title/)]);
    // Indented four spaces, a heading becomes code: not what the author meant.
    expect(check('# T\n\n    ## Not a heading\n')).toEqual([]);
    expect(check('# T\n\n- item\n## Still a heading\n')).toEqual([]);
    expect(check('# T\n\n> quote\n>## quoted heading\n')).toEqual([]);
    expect(check('# T\n\n<div>\n## inside HTML\n</div>\n')).toEqual([
      expect.stringMatching(/^4: "## inside HTML" is written as a heading but does not render as one/),
    ]);
  });
});

describe('links', () => {
  it('resolves relative files and anchors, GitHub-style', () => {
    const other = '# Other\n\n## Keep the lost writes (after an unplanned failover)\n\n## A `code` heading\n';
    const files = { 'other.md': other, 'img.svg': '<svg/>' };
    const ok = [
      '# T',
      '',
      '## Section one',
      '',
      '[a](other.md) [b](other.md#keep-the-lost-writes-after-an-unplanned-failover) [c](other.md#a-code-heading)',
      '[d](#section-one) ![e](img.svg) [f](https://example.com/x#y) [g](mailto:a@b.c)',
    ].join('\n');
    expect(check(ok, files)).toEqual([]);
    expect(check('# T\n\n[x](missing.md)\n', files)).toEqual([
      expect.stringMatching(/^3: link to missing.md: missing.md does not exist/),
    ]);
    expect(check('# T\n\n[x](other.md#nope)\n', files)).toEqual([
      expect.stringMatching(/^3: link to other.md#nope: other.md has no heading with the anchor #nope/),
    ]);
    expect(check('# T\n\n[x](#nope)\n', files)).toEqual([
      expect.stringMatching(/has no heading with the anchor #nope/),
    ]);
    expect(
      checkMarkdown('a/b.md', '# T\n\n[up](../other.md)\n', (f) => (f === 'other.md' ? other : undefined)),
    ).toEqual([]);
    expect(checkMarkdown('a/b.md', '# T\n\n[up](other.md)\n', none)).toHaveLength(1);
  });

  it('numbers repeated headings as GitHub does', () => {
    expect([...slugs('# A\n\n## Resume\n\n## Resume\n\n## What? Why!\n')]).toEqual([
      'a',
      'resume',
      'resume-1',
      'what-why',
    ]);
  });
});
