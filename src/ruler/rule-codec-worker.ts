/** Worker thread of ./rule-codec.ts: parses and prints rule text off the event loop. */
import { serveJobs } from '../util/worker-serve.js';
import { runCodecJob, type CodecJob, type CodecReply } from './rule-codec.js';

serveJobs<CodecJob, CodecReply>(runCodecJob);
