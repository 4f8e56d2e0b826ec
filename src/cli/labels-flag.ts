/** Parses `--labels '{job="x", host="a"}'` with the same parser the server uses for pushed label strings. */
import type { Labels } from '../api/model.js';
import { parseLabelString } from '../api/push/label-string.js';
import { UsageError } from './io.js';

export function parseLabelsFlag(text: string): Labels {
  let labels: Labels;
  try {
    labels = parseLabelString(text);
  } catch (e) {
    throw new UsageError(`--labels: ${(e as Error).message} in ${JSON.stringify(text)}; want e.g. '{job="import"}'`);
  }
  if (Object.keys(labels).length === 0) throw new UsageError(`--labels: a stream needs at least one label, e.g. '{job="import"}'`);
  return labels;
}
