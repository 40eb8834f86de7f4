// The console's files, imported as text so `bun build --compile` embeds them in the executable.
import html from "./index.html" with { type: "text" };
import script from "./console-app.js" with { type: "text" };
import css from "./console.css" with { type: "text" };

export const ASSETS: Record<string, { body: string; type: string }> = {
  // bun-types declares .html imports as HTMLBundle (for Bun.serve); with type "text" it is the file's text.
  "index.html": { body: html as unknown as string, type: "text/html; charset=utf-8" },
  "console-app.js": { body: script, type: "text/javascript; charset=utf-8" },
  "console.css": { body: css, type: "text/css; charset=utf-8" },
};
