/** A byte stream as an async iterable of its non-empty chunks; stopping early cancels the rest of the stream. */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    // A refused upload stops reading; the rest of the body is not wanted.
    await reader.cancel().catch(() => undefined);
  }
}
