import type { TCPSocketListener } from "bun";
import { consola } from "../log.ts";
import { Connection } from "./connection.ts";
import type { BrokerContext } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { allApis } from "./apis.ts";
import { deferredTask } from "./periodic-task.ts";

export interface RunningBroker {
  readonly port: number;
  /** Stop accepting, answer what is in flight, stop background work. The store is the caller's. */
  stop(): Promise<void>;
}

export function listen(ctx: BrokerContext, hostname: string, port: number): RunningBroker {
  const dispatcher = new Dispatcher(allApis());
  const connections = new Set<Connection>();
  const listener: TCPSocketListener<Connection> = Bun.listen<Connection>({
    hostname,
    port,
    socket: {
      open(socket) {
        const connection = new Connection(socket, ctx, dispatcher);
        socket.data = connection;
        connections.add(connection);
      },
      data(socket, chunk) {
        socket.data.onData(chunk);
      },
      drain(socket) {
        socket.data.onDrain();
      },
      close(socket) {
        socket.data.onClose();
        connections.delete(socket.data);
      },
      error(socket, error) {
        consola.warn(`connection from ${socket.remoteAddress}: ${error.message}`);
      },
    },
  });
  // Background work is imported when it is first due, not at start-up.
  const cleaner = deferredTask("log cleaner", ctx.config.cleanerIntervalMs, async () => new (await import("./log-cleaner.ts")).LogCleaner(ctx));
  cleaner.start();
  // Any broker may abort a transaction that outlived its timeout; CAS keeps concurrent sweeps safe.
  const txnTimeouts = deferredTask("transaction timeout sweep", ctx.config.transactionSweepIntervalMs, async () => {
    const { TxnTimeouts } = await import("./transactions/txn-timeouts.ts");
    return new TxnTimeouts(ctx, ctx.config.transactionSweepIntervalMs);
  });
  txnTimeouts.start();

  return {
    port: listener.port,
    async stop() {
      listener.stop(false);
      cleaner.stop();
      txnTimeouts.stop();
      for (const connection of connections) connection.interrupt();
      await Promise.all([...connections].map((c) => c.idle()));
      await Promise.all([cleaner.idle(), txnTimeouts.idle()]);
      listener.stop(true);
    },
  };
}
