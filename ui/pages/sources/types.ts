/**
 * `GET /api/v1/sources` as the UI reads it: the server's own wire types (src/api/sources.ts),
 * imported as types only, which the bundler erases, so the page and the registry cannot drift apart.
 */
import type { Coverage, SourceKind, SourceState, SourcesResponse, StoredSource } from '../../../src/api/sources.js';

export type { Coverage, SourceKind, SourceState };
export type Source = StoredSource;
export type SourcesData = SourcesResponse['data'];
export type Agent = SourcesData['agents'][number];
