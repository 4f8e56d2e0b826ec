/**
 * Prometheus remote write (protocol 1.0: a snappy-compressed protobuf WriteRequest over HTTP POST),
 * where recording rules send their samples. The encoder and client are written against the
 * protocol's published .proto; `SampleSink` is what the ruler writes to.
 */
import type { Labels } from './model.js';

export interface SeriesSamples {
  /** Includes `__name__` (the recording rule's `record`). */
  labels: Labels;
  /** Sample times in ms since the epoch, ascending. */
  samples: Array<{ t: number; v: number }>;
}

export interface SampleSink {
  /** Writes the samples for `tenant`; rejects when the receiver refuses them for good (4xx). */
  write(tenant: string, series: SeriesSamples[]): Promise<void>;
  close(): Promise<void>;
}
