/** scripts/render-generated.ts: every generated block and fact is filled, or the run fails naming it. */
import { render } from '../scripts/render-generated';

const fact = (name: string, value: string) => `<!-- fact:${name} -->${value}<!-- /fact -->`;

it('fills facts whose names hold digits (p99-gate), not only letters', () => {
  const { text } = render('README.md', `p99 ${fact('p99-gate', 'x')} s`, {}, { 'p99-gate': '39.7' });
  expect(text).toBe(`p99 ${fact('p99-gate', '39.7')} s`);
});

it('fills a generated block between its markers', () => {
  const md = '<!-- gen:rto-2:begin (generated) -->\nold\n<!-- gen:rto-2:end -->';
  const { text, used } = render('a.md', md, { 'rto-2': 'new' }, {});
  expect(text).toBe('<!-- gen:rto-2:begin (generated) -->\n\nnew\n\n<!-- gen:rto-2:end -->');
  expect(used).toEqual(['rto-2']);
});

it('refuses a fact it does not compute, and a marker whose name it cannot read, naming the file', () => {
  expect(() => render('a.md', fact('p99-nothing', 'x'), {}, {})).toThrow(
    'a.md quotes a fact "p99-nothing" that scripts/docs.ts does not compute',
  );
  expect(() => render('b.md', fact('P99_Gate', 'x'), {}, { P99_Gate: '1' })).toThrow(
    'b.md has a fact marker "P99_Gate" that is not a name of a-z, 0-9 and -',
  );
  expect(() => render('c.md', '<!-- gen:Big:begin -->\n<!-- gen:Big:end -->', { Big: '' }, {})).toThrow(
    'c.md has a gen marker "Big"',
  );
});
