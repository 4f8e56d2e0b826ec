/**
 * Label sets as the store keeps them. Label names come from clients, and `__proto__` or
 * `constructor` are valid Loki label names: plain property assignment would set a prototype for
 * the first, and a plain read would find Object.prototype's members for the second.
 */
import type { Labels } from '../api/model.js';

/** A copy sorted by name, every label an own enumerable property (also `__proto__`). */
export function canonicalLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) setOwn(out, k, labels[k]!);
  return out;
}

/** The value of a label, undefined when the set does not have it (never an inherited member). */
export function labelValue(labels: Labels, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** Sets an own enumerable property, also for names like `__proto__`. */
export function setOwn(obj: Labels, name: string, value: string): void {
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
}
