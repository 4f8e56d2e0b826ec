/**
 * Prometheus remote write (protocol 1.0: a snappy-compressed protobuf WriteRequest over HTTP POST),
 * where recording rules send their samples. The encoder and client are written against the
 * protocol's published .proto; `SampleSink` is what the ruler writes to.
 */
import type { Labels } from './model.js';
import { snappyCompress } from './push/body.js';
import { ProtoWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './push/protobuf.js';

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

/**
 * The request headers of remote write 1.0. Receivers check them: Prometheus refuses a body without
 * Content-Encoding snappy, and the version header tells a 2.x receiver this is a 1.0 WriteRequest.
 */
export const REMOTE_WRITE_HEADERS = {
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
} as const;
export const REMOTE_WRITE_CONTENT_TYPE = 'application/x-protobuf';

// Field numbers from the protocol's prompb/remote.proto and types.proto:
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
export const WRITE_REQUEST_TIMESERIES = 1;
export const TIMESERIES_LABELS = 1;
export const TIMESERIES_SAMPLES = 2;
export const LABEL_NAME = 1;
export const LABEL_VALUE = 2;
export const SAMPLE_VALUE = 1;
export const SAMPLE_TIMESTAMP = 2;

/**
 * A series' labels as remote write wants them: sorted by name (receivers look series up by the
 * sorted set and Prometheus rejects unsorted ones), empty values left out (an empty value means the
 * label is absent in Prometheus' data model).
 */
export function remoteWriteLabels(labels: Labels): Array<[string, string]> {
  return Object.entries(labels)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The protobuf WriteRequest (uncompressed) for these series. */
export function encodeWriteRequest(series: readonly SeriesSamples[]): Buffer {
  const w = new ProtoWriter(256 + series.length * 128);
  for (const s of series) {
    w.tag(WRITE_REQUEST_TIMESERIES, WIRE_LEN);
    const ts = w.begin();
    for (const [name, value] of remoteWriteLabels(s.labels)) {
      w.tag(TIMESERIES_LABELS, WIRE_LEN);
      const l = w.begin();
      w.tag(LABEL_NAME, WIRE_LEN);
      w.string(name);
      w.tag(LABEL_VALUE, WIRE_LEN);
      w.string(value);
      w.end(l);
    }
    for (const { t, v } of s.samples) {
      w.tag(TIMESERIES_SAMPLES, WIRE_LEN);
      const m = w.begin();
      w.tag(SAMPLE_VALUE, WIRE_FIXED64);
      w.double(v);
      w.tag(SAMPLE_TIMESTAMP, WIRE_VARINT);
      w.int64(Math.trunc(t));
      w.end(m);
    }
    w.end(ts);
  }
  return w.finish();
}

/** The HTTP body of a remote-write request: the WriteRequest in one snappy block. */
export function encodeRemoteWriteBody(series: readonly SeriesSamples[]): { contentType: string; body: Buffer } {
  return { contentType: REMOTE_WRITE_CONTENT_TYPE, body: snappyCompress(encodeWriteRequest(series)) };
}
