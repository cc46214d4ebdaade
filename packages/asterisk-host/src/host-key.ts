// Pinned host keys. An entry is the known_hosts form without the host: `<type> <base64 blob>`
// (also accepted with a leading host field, as ssh-keyscan prints it). ssh2 hands the verifier the
// raw blob; we compare blobs and report OpenSSH-style SHA256 fingerprints.
import { createHash } from 'node:crypto';

export interface HostKey {
  type: string;
  /** The key blob, base64 (as in known_hosts). */
  blob: string;
}

const TYPE_RE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** Parses `[host] <type> <base64> [comment]`; null when it is not a host key. */
export function parseHostKey(entry: string): HostKey | null {
  const parts = entry.trim().split(/\s+/);
  const i = parts.findIndex((p) => TYPE_RE.test(p));
  if (i < 0 || i > 1) return null;
  const blob = parts[i + 1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return null;
  const raw = Buffer.from(blob, 'base64');
  // The blob starts with its own type as an SSH string: a cheap consistency check.
  const len = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
  if (len <= 0 || raw.subarray(4, 4 + len).toString('latin1') !== parts[i]) return null;
  return { type: parts[i]!, blob };
}

/** A blob as ssh2 delivers it → the entry we store. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const len = blob.readUInt32BE(0);
  return { type: blob.subarray(4, 4 + len).toString('latin1'), blob: blob.toString('base64') };
}

export const formatHostKey = (k: HostKey) => `${k.type} ${k.blob}`;

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer | string): string {
  const b = typeof blob === 'string' ? Buffer.from(blob, 'base64') : blob;
  return `SHA256:${createHash('sha256').update(b).digest('base64').replace(/=+$/, '')}`;
}
