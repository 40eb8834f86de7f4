// One place that undoes what the harness left behind (brokers, Postgres clusters, temp dirs) when the
// test process exits, so a failed or aborted test never leaks a listening process into the next run.
// Exit handlers must be synchronous, hence every registered action is.
type Action = () => void;

const actions: Action[] = [];
let installed = false;

/** Runs `action` when the process exits; later registrations run first (processes die before their dirs go). */
export function atExit(action: Action): void {
  actions.push(action);
  if (installed) return;
  installed = true;
  process.on("exit", () => {
    for (const run of actions.splice(0).reverse()) {
      try {
        run();
      } catch (error) {
        // Nothing can be recovered at exit; say what was left behind so a leak is visible.
        console.error("harness cleanup failed:", error);
      }
    }
  });
}
