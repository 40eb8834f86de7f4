// Byte streams of Kafka frames for the framing tests (FrameReader, the proxy's FrameSplitter).

/** `payload` behind its int32 size prefix. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** The parts back to back, as a plain Uint8Array (Buffer.concat returns a Buffer, which compares unequal). */
export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
