/**
 * The `Peer` of a request (src/http/identity.ts): the client's address, over mTLS the client
 * certificate it presented, and its headers, for the authenticator to map to an identity (issue #11).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Peer } from './identity.js';

/**
 * Who is on the other end of `req`. `certificate` is set only when the TLS handshake verified the
 * client's certificate against `tls.client_ca_file` (`socket.authorized`): with
 * `tls.client_auth: request` a client may present an unverified one, which must prove nothing.
 * The subject is the certificate's distinguished name in RFC 4514 order of appearance
 * (`CN=agent-1,O=ops`), the fingerprint its SHA-256 as node prints it (`AB:CD:…`), the common
 * name the subject's one CN, unescaped (a token may be bound to it: src/auth/token-cert-cn.ts).
 */
export function peerOf(req: IncomingMessage): Peer {
  const socket = req.socket as Partial<TLSSocket> & IncomingMessage['socket'];
  const peer: Peer = { address: socket.remoteAddress ?? '', headers: req.headers };
  if (socket.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return peer;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return peer;
  peer.certificate = { subject: subjectString(cert.subject), fingerprint256: cert.fingerprint256 };
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.CN;
  if (typeof cn === 'string') peer.certificate.commonName = cn;
  return peer;
}

/** The subject of the certificate the client presented, verified or not (for logs). */
export function peerSubject(socket: TLSSocket): string {
  return subjectString(socket.getPeerCertificate().subject);
}

/** `CN=a,O=b`: node gives the subject as an object whose values are arrays when a field repeats. */
function subjectString(subject: object | undefined): string {
  if (!subject) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(subject as Record<string, string | string[] | undefined>)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) parts.push(`${k}=${escapeRdn(one)}`);
  return parts.join(',');
}

/** RFC 4514 escaping of an attribute value, so a CN holding `,` cannot fake another attribute. */
function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}
