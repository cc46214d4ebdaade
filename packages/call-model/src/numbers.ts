// Number and channel shapes from the host contract (shared/domain/asterisk-events.md): an internal
// extension has 2–5 digits, a GSM trunk id 7, anything longer is an external number (client, mobile).

/** Digits only: '+375 29…' and '375 29…' compare equal. */
export function digits(s: string): string {
  return s.replace(/\D/g, '');
}

/** True for an internal extension: 2–5 digits, nothing else. */
export function isExtension(s: string): boolean {
  return /^\d{2,5}$/.test(s);
}

/** True for an external number (client, mobile): at least 6 digits, optional '+'. */
export function isExternal(s: string): boolean {
  return /^\+?\d{6,}$/.test(s.replace(/[\s()-]/g, ''));
}

/** Same number whatever the formatting; '' never matches. */
export function sameNumber(a: string, b: string): boolean {
  const x = digits(a);
  return x !== '' && x === digits(b);
}

/** A channel name split into its parts: `SIP/151-0000001e`, `Local/152@dialexecute-00000000;2`. */
export interface ChannelInfo {
  tech: 'SIP' | 'Local' | 'other';
  /** The endpoint: extension, trunk id or dialled number. */
  num: string;
  /** Dialplan context of a Local channel ('' otherwise). */
  context: string;
  /** `Local/x@ctx-id` without the `;1/;2` half: both halves share it. */
  base: string;
  half: 1 | 2 | null;
}

export function parseChannel(channel: string): ChannelInfo | null {
  const local = /^Local\/([^@]+)@([^-;]+)(-[^;]*)?;([12])$/.exec(channel);
  if (local) {
    return {
      tech: 'Local',
      num: local[1] ?? '',
      context: local[2] ?? '',
      base: channel.slice(0, channel.lastIndexOf(';')),
      half: local[4] === '1' ? 1 : 2,
    };
  }
  const sip = /^(?:PJ)?SIP\/([^-]+)(?:-[0-9a-f]+)?$/i.exec(channel);
  if (sip) return { tech: 'SIP', num: sip[1] ?? '', context: '', base: channel, half: null };
  return channel ? { tech: 'other', num: '', context: '', base: channel, half: null } : null;
}

/** The transfer helper context: its Local halves are consultation plumbing, never a talker. */
export const CONSULTATION_CONTEXT = 'dialexecute';

/** A trunk channel (`SIP/0001363-…`): the client side of a call. */
export function isTrunkChannel(ch: ChannelInfo | null): boolean {
  return ch !== null && ch.tech === 'SIP' && /^\d{7}$/.test(ch.num);
}

/** Host-local `YYYY-MM-DD HH:MM:SS` → seconds (zone-less, only differences are meaningful); null if unparsable. */
export function hostSeconds(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

/** Small stable string hash (FNV-1a, 32 bit) for duplicate detection; not cryptographic. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
