/**
 * The agent's OpAMP instance_uid (16 bytes, a UUID), kept in `<data>/opamp-instance-uid` as 32 hex
 * digits so the control plane knows the agent again after a restart (the idea of the `agent-id`
 * file the sources report uses). A server may assign a new one (AgentIdentification): it is kept too.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

export const INSTANCE_UID_FILE = 'opamp-instance-uid';

export async function loadInstanceUid(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, INSTANCE_UID_FILE);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{32}$/.test(text)) return Buffer.from(text, 'hex');
  } catch {
    // first start
  }
  const uid = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  await saveInstanceUid(dataDir, uid);
  return uid;
}

export async function saveInstanceUid(dataDir: string, uid: Buffer): Promise<void> {
  await writeFileAtomic(join(dataDir, INSTANCE_UID_FILE), uid.toString('hex') + '\n');
}
