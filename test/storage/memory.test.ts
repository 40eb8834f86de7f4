import { describe, expect, test } from "bun:test";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";
import { openStorage } from "../../src/storage/open.ts";
import { storageContract } from "./contract.ts";

storageContract("memory", async () => new MemoryStorage());

describe("openStorage", () => {
  test("memory:// opens a fresh in-process store each time", async () => {
    const first = await openStorage("memory://");
    const second = await openStorage("memory://");
    expect(first.kind).toBe("memory");
    await first.createTopic({ name: "t", partitions: 1, configs: {} });
    expect(await second.listTopics()).toEqual([]);
    await first.close();
    await second.close();
  });

  test("an unknown scheme lists the supported ones", async () => {
    await expect(openStorage("redis://localhost")).rejects.toThrow(/supported: memory:\/\/, sqlite:\/\/PATH/);
    await expect(openStorage("tansu.db")).rejects.toThrow(/unknown storage URL "tansu.db"/);
  });
});
