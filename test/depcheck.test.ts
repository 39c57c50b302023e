import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The import-graph rules (.dependency-cruiser.cjs, `npm run depcheck` in CI) fire on a violation
 * and only on one: a small tree of our own, with one violation of each rule beside imports the
 * rules allow, is run through the real depcruise CLI (ESM-only since v16, so it is spawned).
 */
const ROOT = path.join(__dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

const TREE: Record<string, string> = {
  // Allowed: same level, lower level, the contract modules, zod inside a contract.
  'index.ts': "import './lib/program';",
  'lib/program.ts': "import './tap-stack';",
  'lib/tap-stack.ts': "import './observe/watch';\nimport './config/keys';",
  'lib/observe/watch.ts': "import '../failover/gate';",
  'lib/failover/gate.ts': "import '../traffic/dns';\nimport '../../lambda/orders/environment';",
  'lib/traffic/dns.ts': "import '../app/api';",
  'lib/app/api.ts': "import '../data/db';",
  'lib/data/db.ts': "import '../network/vpc';",
  'lib/network/vpc.ts': "import '../security/keys';",
  'lib/security/keys.ts': "import '../functions/fn';",
  'lib/functions/fn.ts': "import '../model/rto';",
  'lib/model/rto.ts': "import '../config/keys';\nimport '../../lambda/facts/timing';",
  'lib/config/keys.ts': "import '../model/cost';",
  'lib/model/cost.ts': '',
  'lambda/facts/timing.ts': "import 'zod';\nimport './names';",
  'lambda/facts/names.ts': '',
  'lambda/orders/environment.ts': "import 'zod';\nimport '../facts/timing';",
  'lambda/orders/handler.ts': "import 'pg';\nimport './environment';",
  'node_modules/zod/package.json': '{"name":"zod","main":"index.js"}',
  'node_modules/zod/index.js': '',
  'node_modules/pg/package.json': '{"name":"pg","main":"index.js"}',
  'node_modules/pg/index.js': '',
  // Violations, one per rule.
  'scripts/a.ts': "import './b';",
  'scripts/b.ts': "import type {} from './a';",
  'lib/config/upward.ts': "import '../network/vpc';",
  'lib/app/upward.ts': "import '../tap-stack';",
  'lib/misc/nowhere.ts': '',
  'lib/data/unknown.ts': "import '../misc/nowhere';",
  'lib/failover/runtime.ts': "import '../../lambda/orders/handler';",
  'lambda/facts/heavy.ts': "import 'pg';",
  'lambda/orders/fs.ts': '',
  'lambda/facts/core.ts': "import * as fs from 'fs';\nexport const f = fs;",
  'lib/model/import-facts.ts': "import '../../lambda/facts/heavy';\nimport '../../lambda/facts/core';",
  // Tests are no part of the graph: this breaks every rule and is not reported.
  'test/anything.test.ts': "import '../lambda/orders/handler';\nimport '../lib/misc/nowhere';",
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

function cruise(dir: string): Violation[] {
  let out: string;
  try {
    out = execFileSync(
      process.execPath,
      [
        DEPCRUISE,
        '--config',
        path.join(ROOT, '.dependency-cruiser.cjs'),
        '--output-type',
        'json',
        '--no-cache',
        ...fs.readdirSync(dir).filter((f) => f !== 'node_modules'),
      ],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (e) {
    // depcruise exits non-zero when it finds errors; its JSON report is still on stdout.
    out = (e as { stdout: string; stderr: string }).stdout;
    if (!out) throw new Error((e as { stderr: string }).stderr);
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('the import-graph rules (.dependency-cruiser.cjs)', () => {
  let violations: string[];

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depcheck-'));
    try {
      for (const [file, text] of Object.entries(TREE)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), `${text}\n`);
      }
      violations = cruise(dir).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports exactly the planted violations, one per rule, and nothing the rules allow', () => {
    expect([...new Set(violations)].sort()).toEqual(
      [
        // a circle, closed by a type-only import (reported once, at its first edge)
        'no-circular: scripts/a.ts -> scripts/b.ts',
        // lib/ imports only its own level or lower
        'lib-upward-from-config: lib/config/upward.ts -> lib/network/vpc.ts',
        'lib-upward-from-app: lib/app/upward.ts -> lib/tap-stack.ts',
        // a lib/ file outside the known areas
        'lib-unknown-area: lib/data/unknown.ts -> lib/misc/nowhere.ts',
        // the program reads lambda/ only through the contracts
        'program-imports-lambda-runtime: lib/failover/runtime.ts -> lambda/orders/handler.ts',
        // the contracts import nothing but zod and each other
        'contract-imports-more-than-zod: lambda/facts/heavy.ts -> node_modules/pg/index.js',
        'contract-imports-more-than-zod: lambda/facts/core.ts -> fs',
      ].sort(),
    );
  });
});
