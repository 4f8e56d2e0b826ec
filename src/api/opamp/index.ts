/**
 * OpAMP (Open Agent Management Protocol) over plain HTTP: the messages, their constants, and the
 * codec both the server (`src/fleet/opamp-route.ts`) and the agent's client build on.
 */
export * from './constants.js';
export type * from './messages.js';
export { decodeAgentToServer, decodeServerToAgent } from './decode.js';
export { encodeAgentToServer, encodeServerToAgent } from './encode.js';
export { instanceUidHex } from './instance-uid.js';
