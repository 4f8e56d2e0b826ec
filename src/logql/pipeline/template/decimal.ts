/**
 * Exact decimal arithmetic for addf/subf/mulf/divf. Sprig computes these with shopspring/decimal
 * from each float's shortest decimal form, so `mulf 1.1 3` is 3.3, not 3.3000000000000003.
 * Division rounds half away from zero to 16 decimal places, as decimal's DivisionPrecision.
 */

interface Dec {
  m: bigint;
  /** Value = m * 10^-scale. */
  scale: number;
}

function toDec(x: number): Dec | undefined {
  if (!Number.isFinite(x)) return undefined;
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const fracDigits = digits.length - 1;
  let m = BigInt(digits);
  let scale = fracDigits - exp;
  if (scale < 0) {
    m *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { m: neg ? -m : m, scale };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.scale, b.scale);
  return [a.m * 10n ** BigInt(s - a.scale), b.m * 10n ** BigInt(s - b.scale), s];
}

function toNumber(d: Dec): number {
  const neg = d.m < 0n;
  let digits = (neg ? -d.m : d.m).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    digits = digits.slice(0, digits.length - d.scale) + '.' + digits.slice(digits.length - d.scale);
  }
  return Number((neg ? '-' : '') + digits);
}

export type DecOp = '+' | '-' | '*' | '/';

/** a op b in decimal; falls back to float arithmetic for non-finite operands. */
export function decimalOp(a: number, b: number, op: DecOp): number {
  const x = toDec(a);
  const y = toDec(b);
  if (x === undefined || y === undefined) {
    return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
  }
  switch (op) {
    case '+': {
      const [p, q, s] = align(x, y);
      return toNumber({ m: p + q, scale: s });
    }
    case '-': {
      const [p, q, s] = align(x, y);
      return toNumber({ m: p - q, scale: s });
    }
    case '*':
      return toNumber({ m: x.m * y.m, scale: x.scale + y.scale });
    case '/': {
      const [p, q] = align(x, y);
      const PREC = 16;
      // p/q rounded half away from zero to PREC places.
      const num = p * 10n ** BigInt(PREC + 1);
      let r = num / q;
      const neg = r < 0n;
      if (neg) r = -r;
      r = (r + 5n) / 10n;
      return toNumber({ m: neg ? -r : r, scale: PREC });
    }
  }
}
