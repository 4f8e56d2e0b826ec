/**
 * The server's tokens: the store at `<data>/auth/tokens.db`, opened in `open()` (after the store has
 * created the data directory) and closed in `close()`, and the one `Authenticator` over it that the
 * request path and the token API share (so they share the per-address failure budget).
 */
import { LogwharfError } from '../api/errors.js';
import type { Authenticator } from '../http/identity.js';
import type { Logger } from '../util/logger.js';
import { createTokenAuthenticator, type TokenAuthenticatorOptions } from './token-authenticator.js';
import { openTokenStore, tokenDbPath, type TokenStore } from './token-store.js';

export interface Tokens {
  readonly authenticator: Authenticator;
  /** The open store; a `store_unavailable` error before `open()` or after `close()`. */
  store(): TokenStore;
  open(): void;
  close(): void;
}

export function createTokens(dataDir: string, opts: TokenAuthenticatorOptions & { log?: Logger } = {}): Tokens {
  let opened: TokenStore | undefined;
  const store = (): TokenStore => {
    if (!opened) throw new LogwharfError('store_unavailable', 'the token database is not open');
    return opened;
  };
  // Delegates to the store once open; before that no token is known (no request arrives then anyway).
  const view: TokenStore = {
    create: (spec, now) => store().create(spec, now),
    list: () => store().list(),
    get: (id) => opened?.get(id),
    revoke: (idOrName, now) => store().revoke(idOrName, now),
    touch: (id, now) => opened?.touch(id, now),
    close: () => {},
  };
  return {
    authenticator: createTokenAuthenticator(view, opts),
    store,
    open() {
      opened ??= openTokenStore(tokenDbPath(dataDir));
    },
    close() {
      opened?.close();
      opened = undefined;
    },
  };
}
