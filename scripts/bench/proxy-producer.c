/*
 * The producer scripts/bench/proxy.ts drives: librdkafka (the 2.15 build in node_modules/.cache/tansu-librdkafka),
 * in C so that the client is not the bottleneck at the rates measured. Prints one JSON line.
 *
 *   proxy-producer BOOTSTRAP TOPIC RATE SECONDS VALUE_BYTES
 *
 * RATE > 0: produces RATE records/s for SECONDS, in 1 ms ticks, and reports the latency from produce() to the
 * delivery report of every record after the first second (connections and metadata settle in it).
 * RATE = 0: produces SECONDS * 100000 records as fast as the client queue takes them and reports the time from
 * the first produce() to the last delivery report.
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double *sent_at;      /* per record: when produce() was called */
static double *latencies;    /* per delivered record after the warm-up */
static long measured, delivered, failed, warmup_records;
static double last_delivery;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  long i = (long)(intptr_t)m->_private;
  double now = now_ms();
  if (m->err) {
    if (failed++ == 0) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  delivered++;
  last_delivery = now;
  if (i >= warmup_records) latencies[measured++] = now - sent_at[i];
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s: %s\n", name, err);
    exit(2);
  }
}

static void produce(rd_kafka_t *rk, rd_kafka_topic_t *topic, char *value, size_t size, long i) {
  sent_at[i] = now_ms();
  while (rd_kafka_produce(topic, 0, RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, (void *)(intptr_t)i) != 0) {
    if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      exit(1);
    }
    rd_kafka_poll(rk, 1);
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC RATE SECONDS VALUE_BYTES\n", argv[0]);
    return 2;
  }
  const char *bootstrap = argv[1], *topic_name = argv[2];
  long rate = atol(argv[3]), seconds = atol(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  long total = rate > 0 ? rate * seconds : seconds * 100000;
  warmup_records = rate > 0 ? rate : 0;

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "acks", "all");
  set(conf, "linger.ms", "5");
  set(conf, "batch.num.messages", "10000");
  set(conf, "compression.type", "none");
  set(conf, "queue.buffering.max.messages", "200000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, topic_name, NULL);
  sent_at = calloc((size_t)total, sizeof *sent_at);
  latencies = calloc((size_t)total, sizeof *latencies);
  char *value = malloc(size);
  memset(value, 'x', size);

  double start = now_ms();
  if (rate > 0) {
    /* Every 1 ms tick: produce the records due by now, serve delivery reports, sleep to the next tick. */
    struct timespec tick;
    clock_gettime(CLOCK_MONOTONIC, &tick);
    long i = 0;
    while (i < total) {
      long due = (long)((now_ms() - start) * rate / 1000.0) + 1;
      if (due > total) due = total;
      for (; i < due; i++) produce(rk, topic, value, size, i);
      rd_kafka_poll(rk, 0);
      tick.tv_nsec += 1000000;
      if (tick.tv_nsec >= 1000000000) {
        tick.tv_sec++;
        tick.tv_nsec -= 1000000000;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
    }
  } else {
    for (long i = 0; i < total; i++) {
      produce(rk, topic, value, size, i);
      if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
  }
  double produced = now_ms();
  while (delivered + failed < total && now_ms() - produced < 120000) rd_kafka_poll(rk, 10);

  qsort(latencies, (size_t)measured, sizeof *latencies, by_value);
  double p50 = measured ? latencies[measured / 2] : -1, p99 = measured ? latencies[(long)(measured * 0.99)] : -1;
  double elapsed_s = (last_delivery - start) / 1000.0;
  printf("{\"records\":%ld,\"delivered\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"records_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
         total, delivered, failed, elapsed_s, delivered / elapsed_s, p50, p99);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  return failed == 0 && delivered == total ? 0 : 1;
}
