// A LogFrame as one candump -L style line, the format of the reference dumps beside the shared
// recordings (`vil import --frames`):
//   (SECONDS.MICROS) canN ID#DATA     classic; ID = 3 hex digits (11-bit) or 8 (29-bit)
//   (SECONDS.MICROS) canN ID#DATA_L   classic with a DLC L (hex 9..F) above 8
//   (SECONDS.MICROS) canN ID#R[L]     remote (L = its DLC in hex when non-zero)
//   (SECONDS.MICROS) canN ID##FDATA   CAN FD; F = flags nibble, 1 = BRS, 2 = ESI
//   (SECONDS.MICROS) canN ERROR       error frame (an extension of candump's syntax)
// N is the channel number as recorded; the time is rounded half-up to microseconds and the
// seconds are not padded.
import type { LogFrame } from './frame.js';

const HEX = '0123456789ABCDEF';
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX[b >> 4] + HEX[b & 15]);

/** "(SECONDS.MICROS)": ns rounded half-up to µs, negative times with a leading minus. */
export function formatTime(sec: number, nanosec: number): string {
  const us = sec * 1_000_000 + Math.floor((nanosec + 500) / 1000);
  const neg = us < 0;
  const a = neg ? -us : us;
  const s = Math.floor(a / 1_000_000);
  const frac = String(a - s * 1_000_000).padStart(6, '0');
  return `(${neg ? '-' : ''}${s}.${frac})`;
}

export function formatFrameLine(f: LogFrame): string {
  const head = `${formatTime(f.sec, f.nanosec)} can${f.channel} `;
  if (f.error) return `${head}ERROR`;
  const id = f.extended ? f.id.toString(16).toUpperCase().padStart(8, '0') : f.id.toString(16).toUpperCase().padStart(3, '0');
  if (f.rtr) return `${head}${id}#R${f.dlc > 0 ? HEX[f.dlc & 15] : ''}`;
  let body = '';
  const d = f.data;
  for (let i = 0; i < d.length; i++) body += BYTE_HEX[d[i]];
  if (f.fd) return `${head}${id}##${HEX[(f.brs ? 1 : 0) | (f.esi ? 2 : 0)]}${body}`;
  return `${head}${id}#${body}${f.dlc > 8 ? `_${HEX[f.dlc & 15]}` : ''}`;
}
