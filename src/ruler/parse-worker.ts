/** Worker thread of ./group-parser.ts: parses and checks one posted rule group off the event loop. */
import { serveJobs } from '../util/worker-serve.js';
import { parseJob, type ParseJob, type ParseReply } from './group-parser.js';

serveJobs<ParseJob, ParseReply>(parseJob);
