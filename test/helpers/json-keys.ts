/**
 * Keys that occur more than once in one object of a JSON text (at any depth). JSON.parse keeps the
 * last of repeated keys silently, so log lines are checked on their text.
 */
export function repeatedKeys(json: string): string[] {
  JSON.parse(json); // valid JSON first: the scan below assumes it
  const repeated: string[] = [];
  const frames: { keys: Set<string> | undefined }[] = []; // keys: undefined for an array
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        const keys = frames.at(-1)!.keys!;
        if (keys.has(key)) repeated.push(key);
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      frames.push({ keys: c === '{' ? new Set() : undefined });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      expectKey = frames.at(-1)?.keys !== undefined;
    }
  }
  return repeated;
}
