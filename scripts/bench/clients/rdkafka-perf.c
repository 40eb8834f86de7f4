/*
 * A librdkafka producer measured the way `tansu perf produce` measures itself: N records of a
 * fixed size (one A..Z payload), keyless (librdkafka's sticky partitioner), each record's latency
 * from rd_kafka_produce() to its delivery report. Prints one JSON object with the same fields as
 * `tansu perf produce --json`. Compiled by scripts/bench/client-ceiling.ts against the librdkafka
 * that scripts/build-librdkafka.sh builds.
 *
 *   rdkafka-perf BROKERS TOPIC RECORDS RECORD_SIZE ACKS LINGER_MS BATCH_BYTES [THROUGHPUT]
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double *sent_at;      /* ms, per record */
static double *latencies;    /* ms, per delivered record */
static long delivered, failed;
static const char *first_error;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (!first_error) first_error = rd_kafka_err2name(m->err);
    failed++;
    return;
  }
  latencies[delivered++] = now_ms() - sent_at[(intptr_t)m->_private];
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double q) {
  if (delivered == 0) return 0;
  long rank = (long)(q * delivered + 0.999999);
  if (rank < 1) rank = 1;
  return latencies[rank - 1];
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "rdkafka-perf: %s=%s: %s\n", name, value, error);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: rdkafka-perf BROKERS TOPIC RECORDS RECORD_SIZE ACKS LINGER_MS BATCH_BYTES [THROUGHPUT]\n");
    return 1;
  }
  const char *topic = argv[2];
  long records = atol(argv[3]);
  size_t size = (size_t)atol(argv[4]);
  double throughput = argc > 8 ? atof(argv[8]) : -1;

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "acks", argv[5]);
  set(conf, "linger.ms", argv[6]);
  set(conf, "batch.size", argv[7]);
  set(conf, "queue.buffering.max.kbytes", "32768"); /* buffer.memory 32 MiB, as the Java producer */
  set(conf, "queue.buffering.max.messages", "10000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char error[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!rk) {
    fprintf(stderr, "rdkafka-perf: %s\n", error);
    return 1;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);

  char *payload = malloc(size ? size : 1);
  srand((unsigned)time(NULL));
  for (size_t i = 0; i < size; i++) payload[i] = 'A' + rand() % 26;
  sent_at = malloc(sizeof(double) * (size_t)records);
  latencies = malloc(sizeof(double) * (size_t)records);

  double started = now_ms();
  for (long i = 0; i < records; i++) {
    if (throughput > 0) {
      double due = started + i * 1e3 / throughput;
      while (now_ms() < due) rd_kafka_poll(rk, (int)(due - now_ms()) > 0 ? 1 : 0);
    }
    sent_at[i] = now_ms();
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, payload, size, NULL, 0, (void *)(intptr_t)i) == -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "rdkafka-perf: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 1;
      }
      rd_kafka_poll(rk, 1);
      sent_at[i] = now_ms();
    }
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double seconds = (now_ms() - started) / 1e3;

  qsort(latencies, (size_t)delivered, sizeof(double), by_value);
  double sum = 0;
  for (long i = 0; i < delivered; i++) sum += latencies[i];
  double rate = records / seconds;
  printf("{\"records\":%ld,\"errors\":%ld,\"firstError\":%s%s%s,\"seconds\":%f,\"recordsPerSecond\":%f,\"mbPerSecond\":%f,"
         "\"avgLatencyMs\":%f,\"maxLatencyMs\":%f,\"p50Ms\":%f,\"p95Ms\":%f,\"p99Ms\":%f,\"p999Ms\":%f}\n",
         records, records - delivered, first_error ? "\"" : "", first_error ? first_error : "null",
         first_error ? "\"" : "", seconds, rate, rate * size / (1024.0 * 1024.0), delivered ? sum / delivered : 0,
         delivered ? latencies[delivered - 1] : 0, percentile(0.5), percentile(0.95), percentile(0.99), percentile(0.999));
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}
