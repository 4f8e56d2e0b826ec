/**
 * The server's tokens: the store at `<data>/auth/tokens.db`, opened in `open()` (after the store has
 * created the data directory) and closed in `close()`, and the one `Authenticator` over it that the
 * request path and the token API share (so they share the per-address failure budget, and a
 * revocation through the API drops the token from the cache at once).
 */
import { LogwharfError } from '../api/errors.js';
import type { Logger } from '../util/logger.js';
import { createTokenAuthenticator, type TokenAuthenticator, type TokenAuthenticatorOptions } from './token-authenticator.js';
import { openTokenStore, tokenDbPath, type TokenStore } from './token-store.js';
import type { TokenOutbox } from './token-outbox.js';

export interface Tokens {
  readonly authenticator: TokenAuthenticator;
  /** The open store; a `store_unavailable` error before `open()` or after `close()`. */
  store(): TokenStore;
  /** The outbox of token changes made outside the server, while the store is open. */
  outbox(): TokenOutbox | undefined;
  open(): void;
  close(): void;
}

export function createTokens(dataDir: string, opts: TokenAuthenticatorOptions & { log?: Logger } = {}): Tokens {
  let opened: TokenStore | undefined;
  const open = (): TokenStore => {
    if (!opened) throw new LogwharfError('store_unavailable', 'the token database is not open');
    return opened;
  };
  const view: TokenStore = {
    create: (spec, now) => {
      const made = open().create(spec, now);
      // A certificate refused a moment ago (no token bound to its CN yet) gets in at once.
      if (made.info.certCn !== undefined) authenticator.forget(made.info.id);
      return made;
    },
    list: () => open().list(),
    // Before open() no token is known (no request arrives then anyway); the authenticator never throws.
    get: (id) => opened?.get(id),
    getByCertCn: (cn) => opened?.getByCertCn(cn),
    revoke: (idOrName, now) => {
      const revoked = open().revoke(idOrName, now);
      if (revoked) authenticator.forget(revoked.id);
      return revoked;
    },
    touch: (id, now) => opened?.touch(id, now),
    outbox: { pending: (limit) => open().outbox.pending(limit), remove: (seq) => open().outbox.remove(seq) },
    close: () => {},
  };
  const authenticator = createTokenAuthenticator(view, opts);
  return {
    authenticator,
    store: () => (open(), view),
    outbox: () => opened?.outbox,
    open() {
      opened ??= openTokenStore(tokenDbPath(dataDir));
    },
    close() {
      opened?.close();
      opened = undefined;
    },
  };
}
