/**
 * Duplicate object keys in a JSON text. JSON.parse keeps the last of two equal keys
 * (`{"quantity":"1","quantity":"1000"}` parses as 1000), so what a client's logs, a proxy or a
 * signature reviewer read first is not what would be stored: the order API refuses such a body
 * (400) instead (RFC 8259 section 4: names "SHOULD be unique"; behaviour with duplicates is
 * unpredictable across parsers).
 */

/** The first key that repeats within one object of `text` (already valid JSON), or undefined. */
export function firstDuplicateKey(text: string): string | undefined {
  // One frame per open container: an object's keys so far, and whether a key comes next.
  const stack: ({ keys: Set<string>; expectKey: boolean } | undefined)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push(undefined);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    }
  }
  return undefined;
}
