/** What a new user checks first: the license file says what package.json says, the changelog knows the version. */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_DIR } from '../scripts/offline';

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')) as {
  license: string;
  version: string;
};
const read = (f: string) => fs.readFileSync(path.join(PROJECT_DIR, f), 'utf8');

it('LICENSE is the full text of the license package.json declares', () => {
  expect(pkg.license).toBe('Apache-2.0');
  const license = read('LICENSE');
  expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  expect(license).toContain('END OF TERMS AND CONDITIONS');
});

it('CHANGELOG.md has a section for the current version', () => {
  const headings = [...read('CHANGELOG.md').matchAll(/^## (\S+)/gm)].map((m) => m[1]);
  expect(headings).toContain(pkg.version);
});
