// Port-per-broker: every upstream broker address the proxy sees in a response gets a proxy port of its own, so a
// client that picks a partition leader by node id reaches that leader through the proxy. The bootstrap listener
// is the listener port itself; the n-th upstream address seen (n = 1, 2, ...) is served on listener port + n and
// advertised as advertised port + n, up to the configured count.
import { consola } from "../log.ts";

export interface Address {
  host: string;
  port: number;
}

export class BrokerPorts {
  readonly #byAddress = new Map<string, number>();
  readonly #upstreams: Address[] = [];
  readonly #refused = new Set<string>();

  constructor(
    readonly advertised: Address,
    /** How many ports follow the listener's: the most upstream brokers the proxy can serve. */
    readonly count: number,
  ) {}

  /** The address clients are given for an upstream broker; null once every port is taken. */
  advertise(upstream: Address): Address | null {
    const key = `${upstream.host}:${upstream.port}`;
    let n = this.#byAddress.get(key);
    if (n === undefined) {
      if (this.#upstreams.length >= this.count) {
        if (!this.#refused.has(key)) {
          this.#refused.add(key);
          consola.error(`upstream broker ${key} left out of responses: all ${this.count} broker ports are taken (raise --broker-port-count)`);
        }
        return null;
      }
      this.#upstreams.push({ host: upstream.host, port: upstream.port });
      n = this.#upstreams.length;
      this.#byAddress.set(key, n);
      consola.info(`upstream broker ${key} is served on port offset +${n}`);
    }
    return { host: this.advertised.host, port: this.advertised.port + n };
  }

  /** The upstream broker behind port offset `n` (1-based), if one has been seen. */
  upstream(n: number): Address | undefined {
    return this.#upstreams[n - 1];
  }
}
