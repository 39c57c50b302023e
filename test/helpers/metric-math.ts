/**
 * A small evaluator for the CloudWatch metric math the alarms use, datapoint by datapoint, with
 * CloudWatch's treatment of missing data: an operation on a timestamp where an operand has no
 * datapoint has no datapoint either, unless FILL supplies one. It accepts only the forms the
 * metric math reference documents and this project uses (numbers, metric and expression ids,
 * `+ - * /`, comparisons, parentheses, `FILL(series, number)` and
 * `IF(condition, trueValue, falseValue)`), so an undocumented form (`MAX([m, 1])`: an array of
 * a series and a scalar) is refused here rather than trusted:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 * ("Metric math syntax and functions").
 */

/** One value per period; undefined where the metric published nothing. */
export type Series = readonly (number | undefined)[];

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'call'; name: 'FILL' | 'IF'; args: Node[] };

const TOKEN = /\s*(\d+(?:\.\d+)?|[a-z][A-Za-z0-9_]*|[A-Z]+|>=|<=|==|!=|[-+*/()<>,]|\S)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (TOKEN.lastIndex < expression.length && (match = TOKEN.exec(expression))) tokens.push(match[1]);
  return tokens.filter((t) => t.trim() !== '');
}

const PRECEDENCE: Record<string, number> = {
  '>': 1,
  '<': 1,
  '>=': 1,
  '<=': 1,
  '==': 1,
  '!=': 1,
  '+': 2,
  '-': 2,
  '*': 3,
  '/': 3,
};

/** Parses an expression; throws on anything outside the documented forms listed above. */
export function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const t = tokens[at++];
    if (expected !== undefined && t !== expected)
      throw new Error(`${expression}: expected "${expected}" at token ${at}, found "${t ?? 'end'}"`);
    return t;
  };
  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new Error(`${expression}: unexpected end`);
    if (/^\d/.test(t)) return { kind: 'number', value: Number(t) };
    if (t === '(') {
      const inner = binary(0);
      take(')');
      return inner;
    }
    if (t === 'FILL' || t === 'IF') {
      take('(');
      const args = [binary(0)];
      while (peek() === ',') {
        take(',');
        args.push(binary(0));
      }
      take(')');
      if (t === 'FILL' && (args.length !== 2 || args[1].kind !== 'number'))
        throw new Error(`${expression}: FILL takes a series and a number here`);
      if (t === 'IF' && args.length !== 3) throw new Error(`${expression}: IF takes a condition and two values`);
      return { kind: 'call', name: t, args };
    }
    if (/^[a-z]/.test(t)) return { kind: 'id', name: t };
    throw new Error(`${expression}: "${t}" is not a metric math form this project uses`);
  };
  const binary = (min: number): Node => {
    let left = primary();
    while (peek() !== undefined && PRECEDENCE[peek()] !== undefined && PRECEDENCE[peek()] > min) {
      const op = take();
      left = { kind: 'binary', op, left, right: binary(PRECEDENCE[op]) };
    }
    return left;
  };
  const tree = binary(0);
  if (at !== tokens.length) throw new Error(`${expression}: unexpected "${tokens[at]}"`);
  return tree;
}

const OPS: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => {
    // CloudWatch yields no usable datapoint for x/0; an alarm expression must never divide by zero.
    if (b === 0) throw new Error('division by zero');
    return a / b;
  },
  '>': (a, b) => Number(a > b),
  '<': (a, b) => Number(a < b),
  '>=': (a, b) => Number(a >= b),
  '<=': (a, b) => Number(a <= b),
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
};

export interface Query {
  readonly id: string;
  readonly expression?: string;
  readonly metric?: unknown;
  readonly returnData?: boolean;
}

/**
 * The series the alarm evaluates: the query with returnData, computed from `metrics` (by query
 * id; a metric query with no entry published nothing) over `periods` periods.
 */
export function evaluateAlarm(queries: readonly Query[], metrics: Record<string, Series>, periods: number): Series {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const cache = new Map<string, Series>();
  const seriesOf = (id: string): Series => {
    if (cache.has(id)) return cache.get(id)!;
    const q = byId.get(id);
    if (!q) throw new Error(`no query with id ${id}`);
    const series = q.expression
      ? Array.from({ length: periods }, (_, i) => at(parse(q.expression!), i))
      : Array.from({ length: periods }, (_, i) => metrics[id]?.[i]);
    cache.set(id, series);
    return series;
  };
  const at = (node: Node, i: number): number | undefined => {
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'id':
        return seriesOf(node.name)[i];
      case 'binary': {
        const a = at(node.left, i);
        const b = at(node.right, i);
        return a === undefined || b === undefined ? undefined : OPS[node.op](a, b);
      }
      case 'call':
        if (node.name === 'FILL') return at(node.args[0], i) ?? (node.args[1] as { value: number }).value;
        {
          const condition = at(node.args[0], i);
          if (condition === undefined) return undefined;
          return at(node.args[condition !== 0 ? 1 : 2], i);
        }
    }
  };
  const returned = queries.filter((q) => q.returnData);
  if (returned.length !== 1) throw new Error(`an alarm returns exactly one query, got ${returned.length}`);
  return seriesOf(returned[0].id);
}
