import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleFile } from '../lib/functions/lambda-bundle';

/** A one-file "function" and a directory to share its bundle through, both fresh. */
function fixture() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  const entry = path.join(root, 'handler.ts');
  const dep = path.join(root, 'answer.ts');
  fs.writeFileSync(dep, 'export const answer: number = 41;\n');
  fs.writeFileSync(entry, "import { answer } from './answer';\nexport const handler = () => answer;\n");
  const cacheDir = path.join(root, 'cache');
  fs.mkdirSync(cacheDir);
  const load = (code: string) => {
    const module = { exports: {} as { handler: () => number } };
    new Function('module', 'exports', 'require', code)(module, module.exports, require);
    return module.exports.handler();
  };
  return { entry, dep, cacheDir, load };
}

describe('Lambda bundles shared through a cache directory', () => {
  it('a second process finds the bundle the first one stored', () => {
    const { entry, cacheDir, load } = fixture();
    const code = bundleFile(entry, 'node22', cacheDir);
    expect(load(code)).toBe(41);
    const [stored] = fs.readdirSync(cacheDir);
    // Served from the directory, not rebuilt: the stored code is what comes back.
    const file = path.join(cacheDir, stored);
    const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...bundle, code: bundle.code.replace('41', '42') }));
    expect(load(bundleFile(entry, 'node22', cacheDir))).toBe(42);
  });

  it('a bundle is rebuilt when any file it was built from changes, imports included', () => {
    const { entry, dep, cacheDir, load } = fixture();
    expect(load(bundleFile(entry, 'node22', cacheDir))).toBe(41);
    fs.writeFileSync(dep, 'export const answer: number = 43;\n');
    expect(load(bundleFile(entry, 'node22', cacheDir))).toBe(43);
    fs.writeFileSync(entry, "import { answer } from './answer';\nexport const handler = () => answer + 1;\n");
    expect(load(bundleFile(entry, 'node22', cacheDir))).toBe(44);
  });

  it('the build options are part of the key: another target is another bundle', () => {
    const { entry, cacheDir } = fixture();
    bundleFile(entry, 'node22', cacheDir);
    bundleFile(entry, 'node20', cacheDir);
    expect(fs.readdirSync(cacheDir)).toHaveLength(2);
  });

  it('without a directory the same bundle is built', () => {
    const { entry, cacheDir } = fixture();
    expect(bundleFile(entry, 'node22')).toBe(bundleFile(entry, 'node22', cacheDir));
  });
});
