// The startup baseline plus what SQLite itself costs: bare-listen.ts, after a bun:sqlite database
// opened the way the sqlite:// engine opens its file (WAL, busy timeout, one query). Opened before
// listening, as the broker does (its store must open before it says it is listening), so the open
// cannot overlap the client's reaction to the listening line. The broker on sqlite:// cannot start
// for less than this; scripts/bench/startup.ts shows it beside the bare one.
import { Database } from "bun:sqlite";
import { serve } from "./bare-listen.ts";

const at = process.argv.indexOf("--sqlite");
if (at < 0 || !process.argv[at + 1]) throw new Error("bare-sqlite needs --sqlite FILE");
const db = new Database(process.argv[at + 1], { create: true, readwrite: true, strict: true, safeIntegers: true });
db.run("PRAGMA busy_timeout = 5000");
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = NORMAL");
db.query("PRAGMA user_version").get();
serve();
