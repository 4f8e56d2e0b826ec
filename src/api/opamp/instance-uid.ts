/** An OpAMP instance_uid as text: lowercase hex (32 digits for the 16-byte UUIDs current agents send). */
export function instanceUidHex(uid: Uint8Array): string {
  return Buffer.from(uid.buffer, uid.byteOffset, uid.byteLength).toString('hex');
}
