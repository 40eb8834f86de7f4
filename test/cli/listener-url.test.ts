import { expect, test } from "bun:test";
import { parseHttpListenerUrl, parseListenerUrl, parseListenerUrls } from "../../src/cli/listener-url.ts";

test("listener URLs give host, port and TLS; an IPv6 host loses the brackets the URL needs", () => {
  expect(parseListenerUrl("tcp://0.0.0.0:9092", "--listener-url")).toEqual({ host: "0.0.0.0", port: 9092, tls: false });
  expect(parseListenerUrl("tls://[::1]:9093", "--listener-url")).toEqual({ host: "::1", port: 9093, tls: true });
  expect(parseListenerUrl("tcp://broker", "--listener-url")).toEqual({ host: "broker", port: 9092, tls: false });
  expect(parseListenerUrls("tcp://a:1, tls://[fe80::1]:2", "--listener-url").map((l) => l.host)).toEqual(["a", "fe80::1"]);
  expect(parseHttpListenerUrl("http://[::]:8080")).toEqual({ host: "::", port: 8080 });
  expect(() => parseListenerUrl("http://a:1", "--listener-url")).toThrow("must use the tcp:// or tls:// scheme");
});
