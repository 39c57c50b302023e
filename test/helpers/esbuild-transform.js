/**
 * Jest transform: TypeScript to CommonJS with esbuild, file by file. Types are checked once by
 * `tsc --noEmit` (npm run typecheck) and tsconfig sets isolatedModules, so no file needs the type
 * checker to be compiled; tsx (npm run plan, drill, ...) runs the same code through esbuild too.
 * esbuild does not hoist `jest.mock` calls above imports as ts-jest and Babel do: the tests use
 * none (dependencies are passed in instead).
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { transformSync, version } = require('esbuild');

const tsconfig = fs.readFileSync(path.join(__dirname, '..', '..', 'tsconfig.json'), 'utf8');
const self = crypto
  .createHash('sha256')
  .update(fs.readFileSync(__filename))
  .update(version)
  .update(tsconfig)
  .digest('hex');

module.exports = {
  process(source, file) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      // tsconfig's target and class-field semantics, as tsc would emit them.
      tsconfigRaw: tsconfig,
      // `await import('x')` becomes a require, as tsc emits it for module commonjs: Jest's CommonJS
      // runtime refuses a real dynamic import (it needs --experimental-vm-modules).
      supported: { 'dynamic-import': false },
      sourcemap: 'external',
      sourcefile: file,
    });
    return { code, map };
  },
  getCacheKey(source, file, options) {
    return crypto
      .createHash('sha256')
      .update(self)
      .update(file)
      .update(options.configString)
      .update(source)
      .digest('hex');
  },
};
