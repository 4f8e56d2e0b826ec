/**
 * Crash tests' child process: runs `node --import tsx <args>`, waits for it to print `ack` (what it
 * wrote is acknowledged), then kills it with SIGKILL, as `kill -9` would, and waits for it to be gone.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function killAfterAck(args: string[]): Promise<void> {
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => p.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: p.stdout! }).on('line', (l) => l === 'ack' && resolve());
    p.once('exit', (code) => reject(new Error(`child exited with ${code} before acknowledging`)));
  });
  p.kill('SIGKILL');
  await exited;
}
