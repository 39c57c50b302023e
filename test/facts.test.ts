import * as fs from 'fs';
import * as path from 'path';

/**
 * Facts shared by lib/ and lambda/ (timeouts, metric names, defaults) live in lambda/facts/,
 * modules that import nothing heavy, so the Pulumi program never loads a function's runtime.
 */
const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
/** The functions' runtime dependencies: bundled into the Lambda code, never needed to plan. */
const RUNTIME_ONLY = Object.keys(pkg.dependencies).filter((d) => /^(pg|@aws-sdk\/|@aws-lambda-powertools\/)/.test(d));

describe('shared facts', () => {
  it('the Pulumi program loads no Lambda runtime dependency (pg, the AWS SDK, Powertools)', () => {
    expect(RUNTIME_ONLY).toEqual(expect.arrayContaining(['pg', '@aws-sdk/client-dynamodb']));
    const loaded: string[] = [];
    jest.isolateModules(() => {
      for (const name of RUNTIME_ONLY) {
        jest.doMock(name, () => {
          loaded.push(name);
          return {};
        });
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the mocks, in isolation
      require('../lib/program');
    });
    expect(loaded).toEqual([]);
  });

  it('each fact module imports nothing but zod and other facts', () => {
    const dir = path.join(ROOT, 'lambda', 'facts');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      const imports = [...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\s+'([^']+)'|require\('([^']+)'\)/g)].map(
        (m) => m[1] ?? m[2] ?? m[3],
      );
      expect({ file, imports: imports.filter((i) => i !== 'zod' && !/^\.\/[\w-]+$/.test(i)) }).toEqual({
        file,
        imports: [],
      });
    }
  });
});
