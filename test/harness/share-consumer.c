/*
 * A share consumer (KIP-932) on librdkafka's rd_kafka_share_* API, for the share-group tests.
 * Compiled by test/harness/share-consumer.ts against the librdkafka that scripts/build-librdkafka.sh
 * builds; never committed as a binary.
 *
 *   share-consumer BOOTSTRAP GROUP TOPIC NAME [MAX_POLL_RECORDS [PAUSE_MS [KEY=VALUE...]]]
 *
 * Prints one JSON line per delivered record. What it does with a record depends on the record's
 * value, so a test decides the outcome by what it produces:
 *   accept-*   acknowledged ACCEPT
 *   release-*  acknowledged RELEASE (delivered again, up to the group's delivery count limit)
 *   reject-*   acknowledged REJECT
 *   hold-*     left unacknowledged: the consumer stops polling and holds its records until killed
 * PAUSE_MS simulates work after each batch; KEY=VALUE pairs are further client properties (SASL, for
 * instance). Errors are printed as JSON lines too. The consumer stops cleanly (acknowledgements sent,
 * share session closed, group left) when its stdin reaches end of file.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static int stdin_closed(void) {
        struct pollfd p = {.fd = 0, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
                return 0;
        char buf[64];
        return read(0, buf, sizeof(buf)) <= 0;
}

static void print_json_string(const char *s, size_t len) {
        putchar('"');
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "config %s=%s: %s\n", name, value, errstr);
                exit(2);
        }
}

static int starts_with(const rd_kafka_message_t *m, const char *prefix) {
        size_t n = strlen(prefix);
        return m->payload && m->len >= n && memcmp(m->payload, prefix, n) == 0;
}

int main(int argc, char **argv) {
        if (argc < 5) {
                fprintf(stderr, "usage: %s BOOTSTRAP GROUP TOPIC NAME [MAX_POLL_RECORDS [PAUSE_MS [KEY=VALUE...]]]\n", argv[0]);
                return 2;
        }
        const char *name = argv[4];
        int pause_ms     = argc > 6 ? atoi(argv[6]) : 0;
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", argv[1]);
        set(conf, "group.id", argv[2]);
        set(conf, "client.id", name);
        set(conf, "share.acknowledgement.mode", "explicit");
        if (argc > 5)
                set(conf, "max.poll.records", argv[5]);
        for (int i = 7; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq) {
                        fprintf(stderr, "property %s: expected KEY=VALUE\n", argv[i]);
                        return 2;
                }
                *eq = '\0';
                set(conf, argv[i], eq + 1);
        }
        if (getenv("SHARE_CONSUMER_DEBUG"))
                set(conf, "debug", getenv("SHARE_CONSUMER_DEBUG"));

        rd_kafka_share_t *consumer = rd_kafka_share_consumer_new(conf, errstr, sizeof(errstr));
        if (!consumer) {
                fprintf(stderr, "rd_kafka_share_consumer_new: %s\n", errstr);
                return 1;
        }
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_share_subscribe(consumer, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                fprintf(stderr, "rd_kafka_share_subscribe: %s\n", rd_kafka_err2str(err));
                return 1;
        }
        printf("{\"event\":\"subscribed\",\"consumer\":\"%s\"}\n", name);
        fflush(stdout);

        int holding = 0;
        while (!stdin_closed()) {
                if (holding) {
                        /* Keeps heartbeating (librdkafka's own thread) but acknowledges nothing. */
                        usleep(50 * 1000);
                        continue;
                }
                rd_kafka_messages_t *batch = NULL;
                rd_kafka_error_t *error    = rd_kafka_share_poll(consumer, 200, &batch);
                if (error) {
                        printf("{\"event\":\"error\",\"consumer\":\"%s\",\"message\":", name);
                        const char *s = rd_kafka_error_string(error);
                        print_json_string(s, strlen(s));
                        printf("}\n");
                        fflush(stdout);
                        rd_kafka_error_destroy(error);
                        continue;
                }
                size_t count = rd_kafka_messages_count(batch);
                for (size_t i = 0; i < count; i++) {
                        rd_kafka_message_t *m = rd_kafka_messages_get(batch, i);
                        if (m->err) {
                                printf("{\"event\":\"error\",\"consumer\":\"%s\",\"message\":", name);
                                const char *s = rd_kafka_err2str(m->err);
                                print_json_string(s, strlen(s));
                                printf("}\n");
                                continue;
                        }
                        printf("{\"event\":\"record\",\"consumer\":\"%s\",\"partition\":%d,\"offset\":%lld,\"delivery\":%d,\"value\":",
                               name, (int)m->partition, (long long)m->offset, (int)rd_kafka_message_delivery_count(m));
                        print_json_string(m->payload ? (const char *)m->payload : "", m->payload ? m->len : 0);
                        printf("}\n");
                        rd_kafka_share_AcknowledgeType_t type = RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT;
                        if (starts_with(m, "hold-")) {
                                holding = 1;
                                continue;
                        }
                        if (starts_with(m, "release-"))
                                type = RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE;
                        else if (starts_with(m, "reject-"))
                                type = RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_REJECT;
                        rd_kafka_share_acknowledge_type(consumer, m, type);
                }
                fflush(stdout);
                rd_kafka_messages_destroy(batch);
                if (count > 0 && pause_ms > 0)
                        usleep(pause_ms * 1000);
        }

        rd_kafka_error_t *error = rd_kafka_share_consumer_close(consumer);
        if (error) {
                fprintf(stderr, "rd_kafka_share_consumer_close: %s\n", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
        rd_kafka_share_destroy(consumer);
        printf("{\"event\":\"closed\",\"consumer\":\"%s\"}\n", name);
        fflush(stdout);
        return 0;
}
