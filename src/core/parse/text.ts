import type { Finding } from '../finding.js';
import { LineIndex } from './lines.js';

export interface TextLimits {
  maxFileBytes: number;
}

export interface DecodedText {
  text: string;
  lines: LineIndex;
  /** False when the content must not be handed to a parser (conflict markers). */
  parseable: boolean;
  findings: Finding[];
}

const CONFLICT_MARKER = /^(?:<{7}(?: |$)|={7}$|>{7}(?: |$)|\|{7}(?: |$))/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns raw bytes into text, or into a finding that says why not: too large, binary,
 * invalid UTF-8. Conflict markers are reported line by line and block parsing, because a
 * parser would only report the confusing consequences of them.
 */
export function decodeText(file: string, bytes: Uint8Array, limits: TextLimits): DecodedText | { findings: Finding[] } {
  if (bytes.byteLength > limits.maxFileBytes) {
    return {
      findings: [
        {
          rule: 'file/too-large',
          severity: 'error',
          message: `file is ${formatBytes(bytes.byteLength)}, over the limit of ${formatBytes(limits.maxFileBytes)} (lint.max_file_bytes)`,
          file,
        },
      ],
    };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return { findings: [{ rule: 'file/binary', severity: 'error', message: `file contains a NUL byte at offset ${nul}; planning artifacts must be text`, file, ...bytePosition(bytes, nul) }] };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    return {
      findings: [
        { rule: 'file/invalid-utf8', severity: 'error', message: `invalid UTF-8 byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset}`, file, ...bytePosition(bytes, offset) },
      ],
    };
  }
  const lines = new LineIndex(text);
  const findings: Finding[] = [];
  if (text.includes('<<<<<<<') || text.includes('>>>>>>>') || text.includes('=======')) {
    for (let line = 1; line <= lines.lineCount; line++) {
      const content = lines.lineText(line);
      if (CONFLICT_MARKER.test(content)) {
        findings.push({ rule: 'file/conflict-marker', severity: 'error', message: `git conflict marker "${content.slice(0, 7)}": resolve the merge before linting`, file, line, column: 1 });
      }
    }
  }
  return { text, lines, parseable: findings.length === 0, findings };
}

export function isDecoded(result: DecodedText | { findings: Finding[] }): result is DecodedText {
  return 'text' in result;
}

function bytePosition(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // columns count UTF-16 units, as editors do, not bytes
  return { line, column: new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1 };
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    let min = 0;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
