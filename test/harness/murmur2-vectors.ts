// Kafka's own murmur2 test vectors (UtilsTest.testMurmur2): key, hash. The client's partitioner and
// the postgres:// engine's tansu.murmur2() are both checked against them.
export const KAFKA_MURMUR2_VECTORS: ReadonlyArray<readonly [string, number]> = [
  ["21", -973932308],
  ["foobar", -790332482],
  ["a-little-bit-long-string", -985981536],
  ["a-little-bit-longer-string", -1486304829],
  ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
  ["abc", 479470107],
];
