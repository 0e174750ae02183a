/**
 * Reads regular files out of a .tar.gz (the bundle `opa build` writes). Enough of ustar for OPA's output:
 * regular files, the ustar name prefix, and PAX headers skipped.
 */
import { gunzipSync } from 'node:zlib';

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** Every regular file in the archive, by its path without a leading slash. */
export function readTarGz(archive: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(archive);
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    if (type === '0' || type === '\0') {
      const path = (prefix ? `${prefix}/${name}` : name).replace(/^\/+/, '');
      files.set(path, Buffer.from(tar.subarray(start, start + size)));
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
  return files;
}
