/**
 * Simulated OpAMP agents for the fleet's tests. They report through the real FleetController
 * (src/fleet/model.ts) in-process — the OpAMP wire side (protobuf, POST /v1/opamp) is tested by its
 * own suite — and behave as the protocol says an agent does: describe themselves on first contact,
 * heartbeat, apply an offered configuration (or fail it, or ignore it, as the test sets) and report
 * the RemoteConfigStatus at once, as our agent and the Collector's OpAMP extension do.
 */
import { createHash } from 'node:crypto';
import type { AgentReport, ControllerAnswer, FleetController, RemoteConfigState } from '../../src/fleet/model.js';
import { AGENT_CONFIG_FILE, AGENT_SERVICE_NAME } from '../../src/fleet/model.js';

export type OfferAction = 'apply' | 'fail' | 'ignore';
/** What an agent does with an offer: always the same, or by the offered body. */
export type OfferPolicy = OfferAction | ((body: string) => OfferAction);

export interface SimAgentAttributes {
  host: string;
  cluster?: string;
  role?: string;
  type?: string;
}

export class SimAgent {
  readonly uid: string;
  private seq = 0;
  /** What it does with an offered configuration. */
  policy: OfferPolicy = 'apply';
  healthy = true;
  /** The hash it reports, its status and error. */
  rcHash = '';
  rcStatus: RemoteConfigState = 'unset';
  rcError = '';
  /** The body it runs, as last applied. */
  body = '';
  /** Every hash it was ever offered, in order. */
  readonly offered: string[] = [];
  lastAnswer: ControllerAnswer = {};

  constructor(
    private readonly controller: FleetController,
    readonly attrs: SimAgentAttributes,
  ) {
    this.uid = createHash('sha256').update(`sim-agent:${attrs.host}`).digest('hex').slice(0, 32);
  }

  /** First contact: the full state. */
  hello(): Promise<ControllerAnswer> {
    return this.send(this.fullReport());
  }

  /** A heartbeat: only the sequence number (and health, which our agent sends every time). */
  heartbeat(): Promise<ControllerAnswer> {
    return this.send({ instanceUid: this.uid, sequenceNum: ++this.seq, health: this.health() });
  }

  /** agent_disconnect. */
  disconnect(): Promise<ControllerAnswer> {
    return this.send({ instanceUid: this.uid, sequenceNum: ++this.seq, disconnect: true });
  }

  fullReport(): AgentReport {
    const nonIdentifying: Record<string, string> = { 'host.name': this.attrs.host, 'os.type': 'linux' };
    if (this.attrs.cluster) nonIdentifying['k8s.cluster.name'] = this.attrs.cluster;
    if (this.attrs.role) nonIdentifying.role = this.attrs.role;
    return {
      instanceUid: this.uid,
      sequenceNum: ++this.seq,
      capabilities: 0x7,
      description: { identifying: { 'service.name': this.attrs.type ?? AGENT_SERVICE_NAME, 'service.version': '0.1.0' }, nonIdentifying },
      health: this.health(),
      effectiveConfig: { [AGENT_CONFIG_FILE]: { body: Buffer.from(this.body), contentType: 'application/yaml' } },
      remoteConfigStatus: { lastRemoteConfigHash: this.rcHash, status: this.rcStatus, errorMessage: this.rcError },
    };
  }

  private health() {
    return { healthy: this.healthy, status: this.healthy ? 'ok' : 'shipping failed', lastError: this.healthy ? '' : 'push to http://127.0.0.1:9/ refused' };
  }

  /** Sends a report and acts on the answer as an agent would. */
  async send(r: AgentReport): Promise<ControllerAnswer> {
    const answer = await this.controller.report(r);
    this.lastAnswer = answer;
    if (answer.reportFullState) return this.send(this.fullReport());
    const rc = answer.remoteConfig;
    if (rc && rc.hash !== this.rcHash) {
      this.offered.push(rc.hash);
      // Our agent reads logwharf-agent.yaml and fails a configuration without it (a Collector's, say), as
      // it really does; a Collector (another type) reads the whole configuration under "", or runs its
      // local configuration alone when offered no file.
      const collector = (this.attrs.type ?? AGENT_SERVICE_NAME) !== AGENT_SERVICE_NAME;
      const file = rc.files[collector ? '' : AGENT_CONFIG_FILE];
      const offeredBody = file?.body.toString('utf8') ?? '';
      const missing = file === undefined && !(collector && Object.keys(rc.files).length === 0);
      const action = missing ? 'fail' : typeof this.policy === 'function' ? this.policy(offeredBody) : this.policy;
      if (action === 'ignore') return answer;
      this.rcHash = rc.hash;
      if (action === 'fail') {
        // Our agent rolls itself back to its last good configuration and says why.
        this.rcStatus = 'failed';
        this.rcError = 'health window: pushes to client.url failed (connection refused); rolled back';
      } else {
        this.rcStatus = 'applied';
        this.rcError = '';
        this.body = offeredBody;
      }
      const status: AgentReport = {
        instanceUid: this.uid,
        sequenceNum: ++this.seq,
        health: this.health(),
        remoteConfigStatus: { lastRemoteConfigHash: this.rcHash, status: this.rcStatus, errorMessage: this.rcError },
      };
      await this.send(status);
    }
    return answer;
  }
}
