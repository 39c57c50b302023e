/**
 * RTO as a distribution: a seeded Monte Carlo over the configured values and the documented
 * behaviour of each detector, next to the point arithmetic of rto.ts. One module per concern:
 * - rto-paths.ts: the model's inputs, its documented constants and one sample of every path;
 * - random-variables.ts: every random variable with its distribution and source (README table);
 * - seeded-random.ts and rto-sampler.ts: the seeded sampler (common random numbers);
 * - rto-report.ts: quantiles, the plan's table and headline, the README's Markdown.
 */
export * from './random-variables';
export * from './rto-paths';
export * from './rto-report';
export * from './rto-sampler';
export * from './seeded-random';
