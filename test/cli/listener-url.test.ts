import { expect, test } from "bun:test";
import { describeListeners, parseHttpListenerUrl, parseListenerUrl, parseListenerUrls } from "../../src/cli/listener-url.ts";
import { listOption } from "../../src/cli/list-option.ts";

test("listener URLs give host, port and TLS; an IPv6 host loses the brackets the URL needs", () => {
  expect(parseListenerUrl("tcp://0.0.0.0:9092", "--listener-url")).toEqual({ host: "0.0.0.0", port: 9092, tls: false });
  expect(parseListenerUrl("tls://[::1]:9093", "--listener-url")).toEqual({ host: "::1", port: 9093, tls: true });
  expect(parseListenerUrl("tcp://broker", "--listener-url")).toEqual({ host: "broker", port: 9092, tls: false });
  expect(parseListenerUrls("tcp://a:1, tls://[fe80::1]:2", "--listener-url").map((l) => l.host)).toEqual(["a", "fe80::1"]);
  expect(parseHttpListenerUrl("http://[::]:8080")).toEqual({ host: "::", port: 8080 });
  expect(() => parseListenerUrl("http://a:1", "--listener-url")).toThrow("must use the tcp:// or tls:// scheme");
});

test("a listener list needs at least one URL, and every one of them valid", () => {
  expect(() => parseListenerUrls(" , ", "--listener-url")).toThrow("--listener-url: no listener given");
  expect(() => parseListenerUrls("tcp://a:1,tcp://b:99999", "--listener-url")).toThrow('"tcp://b:99999" is not a URL');
});

test("listeners are described as the broker logs them, with the ports it bound", () => {
  const listeners = parseListenerUrls("tcp://0.0.0.0:0,tls://[::1]:9093", "--listener-url");
  expect(describeListeners(listeners)).toBe("0.0.0.0:0, tls://::1:9093");
  expect(describeListeners(listeners, [40000, 9093])).toBe("0.0.0.0:40000, tls://::1:9093");
});

test("list options are split, trimmed, and empty items dropped", () => {
  expect(listOption(undefined)).toEqual([]);
  expect(listOption("")).toEqual([]);
  expect(listOption(" PLAIN , SCRAM-SHA-256,, ")).toEqual(["PLAIN", "SCRAM-SHA-256"]);
  expect(listOption("User:alice;User:bob;", ";")).toEqual(["User:alice", "User:bob"]);
  expect(listOption("a::b", "::")).toEqual(["a", "b"]);
  expect(listOption("single")).toEqual(["single"]);
});
