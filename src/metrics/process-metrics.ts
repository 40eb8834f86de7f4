// Process figures under the names every Prometheus client library uses (process_*), read at
// scrape time, plus the event loop's delay, which is what a slow handler or a blocking call
// shows up as in a single-threaded broker.
import { readdirSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Registry } from "./registry.ts";

const NS_PER_SECOND = 1e9;

export function registerProcessMetrics(r: Registry): void {
  const cpuUser = r.counter("process_cpu_user_seconds", "User CPU time spent, in seconds.");
  const cpuSystem = r.counter("process_cpu_system_seconds", "System CPU time spent, in seconds.");
  const cpu = r.counter("process_cpu_seconds", "User and system CPU time spent, in seconds.");
  const rss = r.gauge("process_resident_memory_bytes", "Resident memory size, in bytes.");
  const heap = r.gauge("process_heap_bytes", "JavaScript heap in use, in bytes.");
  const start = r.gauge("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.");
  const fds = r.gauge("process_open_fds", "Open file descriptors (Linux only).");
  const loopDelay = r.gauge(
    "tansu_event_loop_delay_seconds",
    "Event loop delay since the previous scrape: how late timers fired (statistic: mean, p50, p99, max).",
    ["statistic"],
  );
  start.set([], Math.round((Date.now() - performance.now()) / 1000));
  // Sampled by the runtime every 20 ms; reset at each scrape, so figures cover the time between two.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();

  r.onCollect(() => {
    const usage = process.cpuUsage();
    cpuUser.setTotal([], usage.user / 1e6);
    cpuSystem.setTotal([], usage.system / 1e6);
    cpu.setTotal([], (usage.user + usage.system) / 1e6);
    const memory = process.memoryUsage();
    rss.set([], memory.rss);
    heap.set([], memory.heapUsed);
    if (process.platform === "linux") fds.set([], readdirSync("/proc/self/fd").length);
    const seen = delay.count > 0;
    loopDelay.set(["mean"], seen ? delay.mean / NS_PER_SECOND : 0);
    loopDelay.set(["p50"], seen ? delay.percentile(50) / NS_PER_SECOND : 0);
    loopDelay.set(["p99"], seen ? delay.percentile(99) / NS_PER_SECOND : 0);
    loopDelay.set(["max"], seen ? delay.max / NS_PER_SECOND : 0);
    delay.reset();
  });
}
