// Client round trips the security tests run with different connection settings: produce a few
// records, consume them in a consumer group and commit, through python confluent-kafka
// (librdkafka) or kafka-python, printing one JSON line to compare.
import { python } from "./python.ts";
import type { RunResult } from "./run.ts";

// "test.oauth.token" in a configuration stands for an oauth_cb handing librdkafka that token.
const OAUTH_TOKEN = String.raw`
import time
def with_token(conf):
    token = conf.pop("test.oauth.token", None)
    if token is not None:
        conf["oauth_cb"] = lambda _config: (token, time.time() + 3600)
    return conf
`;

const CONFLUENT_ROUNDTRIP = String.raw`
import sys, json
from confluent_kafka import Producer, Consumer, KafkaException
${OAUTH_TOKEN}
bootstrap, topic, group, conf = sys.argv[1], sys.argv[2], sys.argv[3], with_token(json.loads(sys.argv[4]))
errors = []
def error_cb(e):
    errors.append(str(e))
conf = dict(conf, **{"bootstrap.servers": bootstrap, "error_cb": error_cb})
acked = []
def report(err, msg):
    if err is None: acked.append(msg.offset())
    else: errors.append(str(err))
p = Producer(dict(conf, **{"message.timeout.ms": 15000}))
for i in range(10):
    p.produce(topic, value=("v%d" % i).encode(), on_delivery=report)
p.flush(20)
c = Consumer(dict(conf, **{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}))
c.subscribe([topic])
got = []
import time
deadline = time.time() + 20
while len(got) < len(acked) and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error(): continue
    got.append(m.value().decode())
committed = None
if got:
    c.commit(asynchronous=False)
    committed = [tp.offset for tp in c.committed(c.assignment(), timeout=10)]
c.close()
print(json.dumps({"acked": len(acked), "got": sorted(got), "committed": committed, "errors": errors[:3]}))
`;

export interface RoundTrip {
  acked: number;
  got: string[];
  committed: number[] | null;
  errors: string[];
}

export const EXPECTED_ROUNDTRIP = {
  acked: 10,
  got: Array.from({ length: 10 }, (_, i) => `v${i}`).sort(),
  committed: [10],
};

/** Produce, consume in a group and commit with python confluent-kafka and `conf` (librdkafka properties). */
export async function confluentRoundTrip(
  bootstrap: string,
  topic: string,
  conf: Record<string, string | number | boolean>,
  env: Record<string, string> = {},
): Promise<{ result: RunResult; out: RoundTrip | null }> {
  const result = await python(CONFLUENT_ROUNDTRIP, [bootstrap, topic, `${topic}-group`, JSON.stringify(conf)], { env, timeoutMs: 60_000 });
  return { result, out: result.exitCode === 0 ? (JSON.parse(result.stdout) as RoundTrip) : null };
}

const CONFLUENT_REFUSED = String.raw`
import sys, json
from confluent_kafka import Producer
${OAUTH_TOKEN}
bootstrap, conf = sys.argv[1], with_token(json.loads(sys.argv[2]))
a = Producer(dict(conf, **{"bootstrap.servers": bootstrap}))
a.poll(0.1)  # serves oauth_cb, when there is one
try:
    a.list_topics(timeout=3)
    print(json.dumps({"listed": True}))
except Exception as e:
    print(json.dumps({"listed": False, "error": str(e)}))
`;

/** Whether a client with `conf` can list topics, and what librdkafka logged. */
export async function confluentListTopics(
  bootstrap: string,
  conf: Record<string, string | number | boolean>,
  env: Record<string, string> = {},
): Promise<{ listed: boolean; log: string }> {
  const result = await python(CONFLUENT_REFUSED, [bootstrap, JSON.stringify(conf)], { env, timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`python failed: ${result.stderr}`);
  return { listed: JSON.parse(result.stdout).listed, log: result.stderr };
}
