// What a raw HEVC (Annex B) clip holds: its frames and picture size, read from the
// bitstream itself (H.265 sections 7.3.1-7.3.2.2, 7.3.6.1). Pure: bytes in, summary out.
// A clip's check ran one ffprobe per clip before (about 55 ms of CPU each); this is
// a scan of the bytes in-process.

export interface HevcSummary {
  /** Access units: VCL NAL units of the base layer that begin a picture. */
  frames: number;
  width: number;
  height: number;
}

const START_CODE = Uint8Array.of(0, 0, 1);
/** An SPS is a few dozen bytes; this much is read for one. */
const SPS_BYTES = 512;
const NAL_SPS = 33;

/**
 * Scans a raw HEVC stream chunk by chunk (a start code may straddle two chunks): counts
 * the pictures (first_slice_segment_in_pic_flag of base-layer VCL NAL units) and reads
 * the picture size from the first SPS, conformance window applied.
 */
export class HevcScanner {
  private frames = 0;
  private size: { width: number; height: number } | null = null;
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    const buf = this.pending.length > 0 ? concat(this.pending, chunk) : chunk;
    this.pending = this.scan(buf, false);
  }

  /** The summary once the stream ended; null without an SPS or a picture. */
  end(): HevcSummary | null {
    this.scan(this.pending, true);
    this.pending = new Uint8Array(0);
    if (!this.size || this.frames === 0) return null;
    return { frames: this.frames, ...this.size };
  }

  /** Handles every NAL unit header in `buf`; returns the bytes to keep for the next chunk. */
  private scan(buf: Uint8Array, final: boolean): Uint8Array {
    let from = 0;
    for (;;) {
      const at = indexOf(buf, START_CODE, from);
      if (at < 0) break;
      const header = at + 3;
      // The header's two bytes and the first payload byte, or the whole SPS.
      if (header + 3 > buf.length) {
        if (final) return new Uint8Array(0);
        return buf.subarray(at);
      }
      const type = ((buf[header] as number) >> 1) & 0x3f;
      const layer = (((buf[header] as number) & 1) << 5) | ((buf[header + 1] as number) >> 3);
      if (type <= 31 && layer === 0 && ((buf[header + 2] as number) & 0x80) !== 0) this.frames++;
      if (type === NAL_SPS && layer === 0 && !this.size) {
        const next = indexOf(buf, START_CODE, header);
        if (next < 0 && !final && buf.length - header < SPS_BYTES) return buf.subarray(at);
        const end = next < 0 ? Math.min(buf.length, header + SPS_BYTES) : next;
        this.size = parseSpsSize(buf.subarray(header + 2, end));
      }
      from = header;
    }
    // A start code may begin in the last two bytes.
    return final ? new Uint8Array(0) : buf.subarray(Math.max(from, buf.length - 2));
  }
}

/** The picture size an SPS payload (after its NAL header) gives; null when it cannot be read. */
export function parseSpsSize(payload: Uint8Array): { width: number; height: number } | null {
  try {
    const bits = new BitReader(withoutEmulationPrevention(payload));
    bits.skip(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = bits.read(3);
    bits.skip(1); // sps_temporal_id_nesting_flag
    skipProfileTierLevel(bits, maxSubLayersMinus1);
    bits.ue(); // sps_seq_parameter_set_id
    const chromaFormat = bits.ue();
    if (chromaFormat === 3) bits.skip(1); // separate_colour_plane_flag
    let width = bits.ue();
    let height = bits.ue();
    if (bits.read(1) === 1) {
      // conformance_window_flag: offsets in chroma samples.
      const subWidth = chromaFormat === 1 || chromaFormat === 2 ? 2 : 1;
      const subHeight = chromaFormat === 1 ? 2 : 1;
      const [left, right, top, bottom] = [bits.ue(), bits.ue(), bits.ue(), bits.ue()];
      width -= subWidth * (left + right);
      height -= subHeight * (top + bottom);
    }
    return width > 0 && height > 0 ? { width, height } : null;
  } catch {
    return null;
  }
}

function skipProfileTierLevel(bits: BitReader, maxSubLayersMinus1: number): void {
  // general profile space, tier, idc, 32 compatibility flags, 4 constraint flags, 43 + 1 bits, level.
  bits.skip(2 + 1 + 5 + 32 + 4 + 43 + 1 + 8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(bits.read(1) === 1);
    levelPresent.push(bits.read(1) === 1);
  }
  if (maxSubLayersMinus1 > 0) bits.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) bits.skip(88);
    if (levelPresent[i]) bits.skip(8);
  }
}

/** The RBSP: every 0x03 that follows two zero bytes removed. */
function withoutEmulationPrevention(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let zeros = 0;
  for (const byte of bytes) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

class BitReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  read(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.bytes[this.at >> 3];
      if (byte === undefined) throw new RangeError('SPS ends early');
      value = value * 2 + ((byte >> (7 - (this.at & 7))) & 1);
      this.at++;
    }
    return value;
  }

  skip(count: number): void {
    if ((this.at + count) >> 3 > this.bytes.length) throw new RangeError('SPS ends early');
    this.at += count;
  }

  /** ue(v): unsigned Exp-Golomb. */
  ue(): number {
    let leadingZeros = 0;
    while (this.read(1) === 0) if (++leadingZeros > 31) throw new RangeError('bad Exp-Golomb code');
    return 2 ** leadingZeros - 1 + this.read(leadingZeros);
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
