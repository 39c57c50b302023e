/**
 * The import graph's rules, checked by `npm run depcheck` in CI (dependency-cruiser). Every rule
 * is proven to fire on a violation by test/depcheck.test.ts, which runs this file over a small
 * tree of its own. Tests are not part of the graph: they may import anything.
 */

/**
 * lib/ by area, lowest first: an import may go to its own level or a lower one, never up. The
 * order is the one the platform comes up in (docs/architecture.md): pure config and models, then
 * the resource helpers, then the per-region stacks, global traffic, failover, observability, the
 * platform's phases (region bundles) and the wiring on top.
 */
const LIB_LEVELS = [
  ['config', 'model', 'preflight'],
  ['functions', 'security', 'alarms'],
  ['network'],
  ['data'],
  ['app'],
  ['traffic'],
  ['failover'],
  ['observe'],
  ['platform'],
  ['tap-stack.ts', 'program.ts'],
];

/** `^lib/config/` for a folder, `^lib/program\.ts$` for a file. */
const areaPath = (area) => (area.endsWith('.ts') ? `^lib/${area.replace(/\./g, '\\.')}$` : `^lib/${area}/`);
const anyOf = (areas) => areas.map(areaPath).join('|');

/**
 * What the Pulumi program may read from lambda/: each function's environment contract and the
 * shared facts. Both import nothing but zod and each other, so planning never loads a function's
 * runtime (pg, the AWS SDK, Powertools).
 */
const CONTRACT = '^lambda/facts/|^lambda/[^/]+/environment\\.ts$';

const upward = LIB_LEVELS.slice(0, -1).flatMap((areas, level) =>
  areas.map((area) => ({
    name: `lib-upward-from-${area.replace(/\.ts$/, '')}`,
    comment: `lib/${area} imports an area above its own level (lib/ order: ${LIB_LEVELS.map((l) => l.join(', ')).join(' -> ')}).`,
    severity: 'error',
    from: { path: areaPath(area) },
    to: { path: anyOf(LIB_LEVELS.slice(level + 1).flat()) },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules that import each other (type-only imports count): cut the loop by moving the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'lib-unknown-area',
      comment:
        'A lib/ file outside the known areas has no place in the layering: put it in one, or add its area to LIB_LEVELS.',
      severity: 'error',
      from: {},
      to: { path: '^lib/', pathNot: anyOf(LIB_LEVELS.flat()) },
    },
    {
      name: 'program-imports-lambda-runtime',
      comment:
        'The Pulumi program (lib/, index.ts) reads from lambda/ only lambda/<fn>/environment.ts and lambda/facts/: move the shared value there.',
      severity: 'error',
      from: { path: '^lib/|^index\\.ts$' },
      to: { path: '^lambda/', pathNot: CONTRACT },
    },
    {
      name: 'contract-imports-more-than-zod',
      comment:
        'lambda/facts/ and lambda/<fn>/environment.ts import nothing but zod and each other (no pg, AWS SDK, Powertools, node:*).',
      severity: 'error',
      from: { path: CONTRACT },
      to: { pathNot: `${CONTRACT}|^node_modules/zod/` },
    },
  ],
  options: {
    // Type-only imports are edges too: a circle through `import type` is still a circle.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^test/|\\.test\\.ts$' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
