// Client quotas enforced per broker, with Kafka's arithmetic (ClientQuotaManager, a Rate over
// quota.window.num windows of quota.window.size.seconds, 11 of 1 s by default): produce requests count their
// bytes against producer_byte_rate, fetch responses against consumer_byte_rate, and every
// request's handling time against request_percentage. A client over its quota is told how long
// to back off (throttle_time_ms) and its connection is muted for that long.
import { ApiKey } from "../protocol/generated/apis.ts";
import { QUOTA_EXEMPT_APIS, type QuotaEnforcer, type RequestUsage } from "../broker/security-hooks.ts";
import type { Storage } from "../storage/storage.ts";
import { CachedValue } from "./cached-value.ts";
import { applicableQuota, loadQuotas, type QuotaEntry } from "./quota-config.ts";

/** Kafka's quota.window.num and quota.window.size.seconds. */
export interface QuotaWindows {
  samples: number;
  windowMs: number;
}

export const KAFKA_WINDOWS: QuotaWindows = { samples: 11, windowMs: 1000 };

/** Sensors of clients gone quiet this long are dropped (Kafka's inactive sensor expiry). */
const SENSOR_EXPIRY_MS = 3_600_000;

/** Kafka's Rate: a sum over sample windows divided by the time they span, at least SAMPLES - 1 windows. */
export class RateSensor {
  #samples: Array<{ start: number; value: number }> = [];
  lastRecordAt = 0;

  constructor(private readonly windows: QuotaWindows = KAFKA_WINDOWS) {}

  /** Records `value` at `now` (ms); returns the throttle in ms when the rate exceeds `bound`, else 0. */
  record(value: number, now: number, bound: number): number {
    const { samples, windowMs } = this.windows;
    this.lastRecordAt = now;
    this.#samples = this.#samples.filter((s) => now - s.start < samples * windowMs);
    const current = this.#samples.at(-1);
    if (current && now - current.start < windowMs) current.value += value;
    else this.#samples.push({ start: now, value });
    const window = this.#windowMs(now);
    const rate = (this.#samples.reduce((sum, s) => sum + s.value, 0) * 1000) / window;
    if (rate <= bound) return 0;
    return Math.round(((rate - bound) / bound) * window);
  }

  #windowMs(now: number): number {
    const { samples, windowMs } = this.windows;
    let elapsed = now - this.#samples[0]!.start;
    const fullWindows = Math.floor(elapsed / windowMs);
    if (fullWindows < samples - 1) elapsed += (samples - 1 - fullWindows) * windowMs;
    return elapsed;
  }
}

interface Measured {
  key: string;
  value: number;
  cap: number;
}

/** What a request counts against each quota; a request-time throttle is bounded by one window, as in Kafka. */
function measures(usage: RequestUsage, windowMs: number): Measured[] {
  const measured: Measured[] = [{ key: "request_percentage", value: usage.handlerMs / 10, cap: windowMs }];
  if (usage.apiKey === ApiKey.Produce) measured.push({ key: "producer_byte_rate", value: usage.requestBytes, cap: Infinity });
  if (usage.apiKey === ApiKey.Fetch) measured.push({ key: "consumer_byte_rate", value: usage.responseBytes, cap: Infinity });
  return measured;
}

/** The user name of a principal ("User:alice" -> "alice"), as quota entities name users. */
function userOf(principal: string): string {
  return principal.slice(principal.indexOf(":") + 1);
}

export class ClientQuotas implements QuotaEnforcer {
  readonly #quotas: CachedValue<QuotaEntry[]>;
  readonly #sensors = new Map<string, RateSensor>();
  #lastExpiry = 0;

  constructor(
    storage: Storage,
    cacheMs: number,
    private readonly windows: QuotaWindows = KAFKA_WINDOWS,
  ) {
    this.#quotas = new CachedValue("client quotas", () => loadQuotas(storage), cacheMs);
  }

  async record(usage: RequestUsage): Promise<number> {
    if (QUOTA_EXEMPT_APIS.has(usage.apiKey)) return 0;
    const quotas = await this.#quotas.get();
    if (!quotas || quotas.length === 0) return 0;
    const user = userOf(usage.principal);
    const now = performance.now();
    this.#expire(now);
    let throttleMs = 0;
    let fetchBytes: { sensor: RateSensor; value: number } | null = null;
    for (const { key, value, cap } of measures(usage, this.windows.windowMs)) {
      const quota = applicableQuota(quotas, key, user, usage.clientId);
      if (!quota) continue;
      const id = `${key}\u0000${quota.tags[0]}\u0000${quota.tags[1]}`;
      let sensor = this.#sensors.get(id);
      if (!sensor) this.#sensors.set(id, (sensor = new RateSensor(this.windows)));
      throttleMs = Math.max(throttleMs, Math.min(cap, sensor.record(value, now, quota.bound)));
      if (key === "consumer_byte_rate") fetchBytes = { sensor, value };
    }
    // Kafka's unrecordQuotaSensor: the throttled Fetch goes out empty, its bytes were never sent.
    if (throttleMs > 0 && fetchBytes) fetchBytes.sensor.record(-fetchBytes.value, now, Infinity);
    return throttleMs;
  }

  async fetchBytesCap(request: Pick<RequestUsage, "principal" | "clientId">): Promise<number> {
    const quotas = await this.#quotas.get();
    const quota = quotas && applicableQuota(quotas, "consumer_byte_rate", userOf(request.principal), request.clientId);
    if (!quota) return Infinity;
    return Math.floor((quota.bound * (this.windows.samples - 1) * this.windows.windowMs) / 1000);
  }

  async mayThrottle(request: Pick<RequestUsage, "principal" | "clientId" | "apiKey">): Promise<boolean> {
    if (QUOTA_EXEMPT_APIS.has(request.apiKey)) return false;
    const quotas = await this.#quotas.get();
    if (!quotas || quotas.length === 0) return false;
    const user = userOf(request.principal);
    const usage = { ...request, requestBytes: 0, responseBytes: 0, handlerMs: 0 };
    return measures(usage, this.windows.windowMs).some(({ key }) => applicableQuota(quotas, key, user, request.clientId) !== null);
  }

  /** Forget the cached quotas (after this broker changed them). */
  invalidate(): void {
    this.#quotas.invalidate();
  }

  #expire(now: number): void {
    if (now - this.#lastExpiry < SENSOR_EXPIRY_MS) return;
    this.#lastExpiry = now;
    for (const [id, sensor] of this.#sensors) if (now - sensor.lastRecordAt > SENSOR_EXPIRY_MS) this.#sensors.delete(id);
  }
}
