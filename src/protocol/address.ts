/** Text ↔ bytes for IPv4/IPv6 addresses, interface ids and MAC addresses, without allocation-heavy helpers. */

/** Writes dotted-quad `text` at `off`; returns false when it is not an IPv4 address. */
export function writeIPv4(text: string, buf: Uint8Array, off: number): boolean {
  let part = 0;
  let digits = 0;
  let idx = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else if (c === 46 && digits > 0 && idx < 3) {
      buf[off + idx++] = part;
      part = 0;
      digits = 0;
    } else return false;
  }
  if (digits === 0 || idx !== 3) return false;
  buf[off + 3] = part;
  return true;
}

/** Dotted-quad text of 4 bytes at `off`. */
export function readIPv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** Writes IPv6 `text` (RFC 4291 §2.2 forms, incl. `::` and a trailing IPv4) as 16 bytes; false if invalid. */
export function writeIPv6(text: string, buf: Uint8Array, off: number): boolean {
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl >= 0 ? text.slice(0, dbl) : text;
  const tail = dbl >= 0 ? text.slice(dbl + 2) : '';
  const words: number[] = [];
  const tailWords: number[] = [];
  if (!parseGroups(head, words, dbl < 0 && tail === '')) return false;
  if (dbl >= 0 && !parseGroups(tail, tailWords, true)) return false;
  const total = words.length + tailWords.length;
  if (dbl < 0 ? total !== 8 : total > 7) return false;
  const all = new Array<number>(8).fill(0);
  for (let i = 0; i < words.length; i++) all[i] = words[i];
  for (let i = 0; i < tailWords.length; i++) all[8 - tailWords.length + i] = tailWords[i];
  for (let i = 0; i < 8; i++) {
    buf[off + 2 * i] = all[i] >> 8;
    buf[off + 2 * i + 1] = all[i] & 0xff;
  }
  return true;
}

function parseGroups(text: string, out: number[], allowV4: boolean): boolean {
  if (text === '') return true;
  const groups = text.split(':');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (allowV4 && i === groups.length - 1 && g.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!writeIPv4(g, v4, 0)) return false;
      out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    out.push(Number.parseInt(g, 16));
  }
  return true;
}

/** RFC 5952 canonical text of 16 bytes at `off` (lower case, longest zero run as `::`). */
export function readIPv6(buf: Uint8Array, off: number): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep the dotted form (RFC 5952 §5).
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) return `::ffff:${readIPv4(buf, off + 12)}`;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      parts.push(i === 0 ? ':' : '');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    parts.push(w[i].toString(16));
  }
  return parts.join(':');
}

/** Writes an interface id `xxxx:xxxx:xxxx:xxxx` (RFC 3162 §2.3) as 8 bytes; false if invalid. */
export function writeIfid(text: string, buf: Uint8Array, off: number): boolean {
  const groups = text.split(':');
  if (groups.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return false;
    const v = Number.parseInt(groups[i], 16);
    buf[off + 2 * i] = v >> 8;
    buf[off + 2 * i + 1] = v & 0xff;
  }
  return true;
}

/** Interface id text of 8 bytes at `off`. */
export function readIfid(buf: Uint8Array, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++)
    parts.push(((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]).toString(16).padStart(4, '0'));
  return parts.join(':');
}

/** Writes a MAC address (`:`, `-` or `.` separated, or 12 hex digits) as 6 bytes; false if invalid. */
export function writeEther(text: string, buf: Uint8Array, off: number): boolean {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return false;
  if (hex.length !== text.length) {
    const groups = text.split(/[:.-]/);
    if (groups.length !== 6 && groups.length !== 3) return false;
  }
  for (let i = 0; i < 6; i++) buf[off + i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return true;
}

/** `aa:bb:cc:dd:ee:ff` text of 6 bytes at `off`. */
export function readEther(buf: Uint8Array, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(buf[off + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

/**
 * Clears the bits past the first `bits` of the `size` bytes at `off`: the host part of a prefix, which
 * RFC 8044 §3.10 / §3.11 (and RFC 3162 §2.3) require to be zero.
 */
export function clearHostBits(buf: Uint8Array, off: number, size: number, bits: number): void {
  let i = bits >> 3;
  if (i >= size) return;
  if (bits & 7) buf[off + i++] &= (0xff << (8 - (bits & 7))) & 0xff;
  for (; i < size; i++) buf[off + i] = 0;
}
