import type { TCPSocketListener } from "bun";
import { consola } from "../log.ts";
import { Connection } from "./connection.ts";
import type { BrokerContext } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { allApis } from "./apis.ts";
import { LogCleaner } from "./log-cleaner.ts";
import { TxnTimeouts } from "./transactions/index.ts";

export interface RunningBroker {
  readonly port: number;
  /** Stop accepting, answer what is in flight, stop background work. The store is the caller's. */
  stop(): Promise<void>;
  /** Bytes of responses buffered for clients that have not read them yet, over every connection. */
  bufferedBytes(): number;
}

export function listen(ctx: BrokerContext, hostname: string, port: number): RunningBroker {
  const dispatcher = new Dispatcher(allApis());
  const connections = new Set<Connection>();
  // The metrics' listener label: where it is bound, known once Bun.listen returns (port 0 picks one).
  let name = `${hostname}:${port}`;
  const listener: TCPSocketListener<Connection> = Bun.listen<Connection>({
    hostname,
    port,
    socket: {
      open(socket) {
        const connection = new Connection(socket, ctx, dispatcher);
        socket.data = connection;
        connections.add(connection);
        ctx.metrics?.connectionOpened(name);
      },
      data(socket, chunk) {
        socket.data.onData(chunk);
      },
      drain(socket) {
        socket.data.onDrain();
      },
      close(socket) {
        socket.data.onClose();
        if (connections.delete(socket.data)) ctx.metrics?.connectionClosed(name);
      },
      error(socket, error) {
        consola.warn(`connection from ${socket.remoteAddress}: ${error.message}`);
      },
    },
  });
  name = `${hostname}:${listener.port}`;
  const cleaner = new LogCleaner(ctx);
  cleaner.start();
  // Any broker may abort a transaction that outlived its timeout; CAS keeps concurrent sweeps safe.
  const txnTimeouts = new TxnTimeouts(ctx, ctx.config.transactionSweepIntervalMs);
  txnTimeouts.start();

  return {
    port: listener.port,
    bufferedBytes: () => [...connections].reduce((sum, c) => sum + c.bufferedBytes, 0),
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
