/**
 * DynamoDB for the evidence table, in memory, answering the document client (lib-dynamodb) the
 * orchestrator and canaries use: Put, Get, Delete, Update and Query on a `pk`/`sk` table, with
 * the condition expressions they send evaluated for real (a lease is a conditional write). The
 * expression grammar is the subset the code uses; anything else fails loudly.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Handlers } from './aws';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;

function operand(token: string, item: Item | undefined, names: Names, values: Values): unknown {
  if (token.startsWith(':')) {
    if (!values || !(token in values)) throw new Error(`drill DynamoDB: value ${token} not supplied`);
    return values[token];
  }
  const name = token.startsWith('#') ? names?.[token] : token;
  if (!name) throw new Error(`drill DynamoDB: name ${token} not supplied`);
  return item?.[name];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  switch (op) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return (a as number) < (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>':
      return (a as number) > (b as number);
    case '>=':
      return (a as number) >= (b as number);
    default:
      throw new Error(`drill DynamoDB: operator ${op} not supported`);
  }
}

/** `term (AND term)* (OR term (AND term)*)*`, terms: attribute_(not_)exists(x) or `x op y`. */
export function evaluate(expression: string, item: Item | undefined, names: Names, values: Values): boolean {
  return expression.split(/\s+OR\s+/i).some((conjunction) =>
    conjunction.split(/\s+AND\s+/i).every((raw) => {
      const term = raw.trim();
      const fn = /^attribute_(not_)?exists\(\s*([#\w]+)\s*\)$/.exec(term);
      if (fn) {
        const present = operand(fn[2], item, names, values) !== undefined;
        return fn[1] ? !present : present;
      }
      const cmp = /^([#:\w]+)\s*(=|<>|<=|>=|<|>)\s*([#:\w]+)$/.exec(term);
      if (!cmp) throw new Error(`drill DynamoDB: cannot evaluate "${term}"`);
      return compare(operand(cmp[1], item, names, values), cmp[2], operand(cmp[3], item, names, values));
    }),
  );
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

export class FakeTable {
  readonly items = new Map<string, Item>();

  constructor(readonly name: string) {}

  handlers(): Handlers {
    const check = (input: { TableName?: string }) => {
      if (input.TableName !== this.name) {
        throw Object.assign(new Error(`Requested resource not found: Table: ${input.TableName} not found`), {
          name: 'ResourceNotFoundException',
        });
      }
    };
    const guard = (
      input: { ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values },
      existing: Item | undefined,
    ) => {
      if (
        input.ConditionExpression &&
        !evaluate(input.ConditionExpression, existing, input.ExpressionAttributeNames, input.ExpressionAttributeValues)
      )
        throw conditionFailed();
    };
    return {
      PutCommand: async (input) => {
        check(input);
        const item = structuredClone(input.Item) as Item;
        guard(input, this.items.get(keyOf(item)));
        this.items.set(keyOf(item), item);
        return {};
      },
      GetCommand: async (input) => {
        check(input);
        const item = this.items.get(keyOf(input.Key));
        return item ? { Item: structuredClone(item) } : {};
      },
      DeleteCommand: async (input) => {
        check(input);
        const key = keyOf(input.Key);
        guard(input, this.items.get(key));
        this.items.delete(key);
        return {};
      },
      UpdateCommand: async (input) => {
        check(input);
        const key = keyOf(input.Key);
        const existing = this.items.get(key);
        guard(input, existing);
        const set = /^SET\s+(.+)$/i.exec(String(input.UpdateExpression ?? '').trim());
        if (!set) throw new Error(`drill DynamoDB: update "${input.UpdateExpression}" not supported`);
        const next: Item = { ...(existing ?? input.Key) };
        for (const assignment of set[1].split(',')) {
          const [target, source] = assignment.split('=').map((s) => s.trim());
          const name = target.startsWith('#') ? input.ExpressionAttributeNames?.[target] : target;
          next[name] = operand(source, existing, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
        }
        this.items.set(key, next);
        return {};
      },
      QueryCommand: async (input) => {
        check(input);
        const match = /^pk\s*=\s*(:\w+)(?:\s+AND\s+sk\s*(=|<|<=|>|>=)\s*(:\w+))?$/i.exec(
          String(input.KeyConditionExpression ?? '').trim(),
        );
        if (!match) throw new Error(`drill DynamoDB: key condition "${input.KeyConditionExpression}" not supported`);
        const values = input.ExpressionAttributeValues as Values;
        const pk = values?.[match[1]];
        const items = [...this.items.values()]
          .filter((i) => i.pk === pk && (!match[2] || compare(i.sk, match[2], values?.[match[3]])))
          .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
        return { Items: items.map((i) => structuredClone(i)), Count: items.length };
      },
    };
  }
}
