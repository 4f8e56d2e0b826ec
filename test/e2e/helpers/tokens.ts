/**
 * Tokens for the authorisation tests, made in the real token store of a data directory before the
 * server starts on it (the server opens the same SQLite file, as it does after `logwharf token
 * create`). One token per grant, named `<role>-<tenant>[+<tenant>…]`.
 */
import { openTokenStore, tokenDbPath } from '../../../src/auth/token-store.js';
import type { Role } from '../../../src/http/identity.js';

export interface TestTokens {
  /** The text of the token of `role` for exactly `tenants`. */
  secret(role: Role, ...tenants: string[]): string;
  /** Every token's text, to check none reaches a log. */
  all(): string[];
}

export function createTestTokens(dataDir: string, grants: Array<{ role: Role; tenants: string[] }>): TestTokens {
  const store = openTokenStore(tokenDbPath(dataDir));
  const texts = new Map<string, string>();
  try {
    for (const g of grants) {
      const name = `${g.role}-${g.tenants.join('+')}`;
      texts.set(name, store.create({ name, role: g.role, tenants: g.tenants }, Date.now()).token);
    }
  } finally {
    store.close();
  }
  return {
    secret(role, ...tenants) {
      const s = texts.get(`${role}-${tenants.join('+')}`);
      if (!s) throw new Error(`no test token ${role} for ${tenants.join('+')}`);
      return s;
    },
    all: () => [...texts.values()],
  };
}

/** Pushes one line, now, to the stream {job="web"} with the write token of `tenant`; asserts the 204. */
export async function pushAsWriter(url: string, tokens: TestTokens, tenant: string, line: string): Promise<void> {
  const res = await fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.secret('write', tenant)}` },
    body: JSON.stringify({ streams: [{ stream: { job: 'web' }, values: [[`${Date.now()}000000`, line]] }] }),
  });
  if (res.status !== 204) throw new Error(`push as write-${tenant} answered ${res.status}: ${await res.text()}`);
}
