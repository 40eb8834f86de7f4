import { consola } from "../log.ts";

/** Runs a client command, reporting a failure as one line and a non-zero exit, as Kafka's CLI tools do. */
export async function reportingFailure(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    consola.error((error as Error).message);
    process.exit(1);
  }
}
