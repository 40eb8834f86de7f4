// What a broker can learn about a sqlite:// file without loading SQLite: whether it is a database, and the
// schema version its header records (https://www.sqlite.org/fileformat.html, "The Database Header").

const HEADER_BYTES = 100;
/** "SQLite format 3" and a NUL: the first 16 bytes of every database file. */
const MAGIC = [83, 81, 76, 105, 116, 101, 32, 102, 111, 114, 109, 97, 116, 32, 51, 0];
/** Where the header keeps PRAGMA user_version, the schema version migrations.ts writes: 4 bytes, big-endian. */
const USER_VERSION_AT = 60;

/**
 * The schema version in the header of the database file at `path`, or null when there is no such file or it is
 * not a database. In WAL mode the header in the file lags behind commits that are still in the WAL (until a
 * checkpoint), so the version may be older than the store's.
 */
export function headerSchemaVersion(path: string): number | null {
  let file: Uint8Array;
  try {
    // Mapped rather than read: Bun.file's asynchronous read, or importing node:fs, cost a starting broker more
    // instructions than opening the file with SQLite (docs/BENCHMARKS.md, Startup).
    file = Bun.mmap(path, { shared: false });
  } catch {
    // Missing, empty, a directory, unreadable: the caller opens it with SQLite, which says why or creates it.
    return null;
  }
  if (file.length < HEADER_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC[i]) return null;
  return new DataView(file.buffer, file.byteOffset, HEADER_BYTES).getUint32(USER_VERSION_AT);
}
