// The broker's lake options (--lake-location, --lake-format, --lake-namespace, --iceberg-catalog),
// checked at start-up, and the lake writer they open. The lake and its libraries are imported only
// when --lake-location is given: start-up time and RSS are measured against a bare listener.

import { consola } from "../log.ts";
import { LAKE_FORMATS, type LakeFormat } from "../lake/topic-settings.ts";
import type { BrokerSchemas } from "../schema/open-schemas.ts";
import type { Storage } from "../storage/storage.ts";
import type { LakeFeed } from "../broker/lake-feed.ts";

export interface LakeSettings {
  location: string;
  format: LakeFormat;
  namespace: string;
  icebergCatalog?: string;
  catchUpIntervalMs: number;
}

const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * The lake settings, or null without --lake-location.
 * @throws Error naming the option and what is wrong with it
 */
export function lakeSettings(args: { location?: string; format: string; namespace: string; icebergCatalog?: string; catchUpIntervalMs: string }): LakeSettings | null {
  if (!(LAKE_FORMATS as readonly string[]).includes(args.format)) {
    throw new Error(`--lake-format: unknown format ${args.format} (expected ${LAKE_FORMATS.join(", ")})`);
  }
  if (!NAMESPACE.test(args.namespace)) {
    throw new Error(`--lake-namespace ${JSON.stringify(args.namespace)}: letters, digits, _ and - only, not starting with -`);
  }
  if (args.icebergCatalog !== undefined && !/^https?:\/\/[^/]/i.test(args.icebergCatalog)) {
    throw new Error(`--iceberg-catalog ${JSON.stringify(args.icebergCatalog)}: expected the http:// or https:// URL of an Iceberg REST catalog`);
  }
  const catchUpIntervalMs = Number(args.catchUpIntervalMs);
  if (!Number.isSafeInteger(catchUpIntervalMs) || catchUpIntervalMs < 1) throw new Error("LAKE_CATCH_UP_INTERVAL_MS must be a positive integer");
  if (!args.location) {
    if (args.icebergCatalog) throw new Error("--iceberg-catalog needs --lake-location (where the tables' files go)");
    return null;
  }
  if (!/^(file:\/\/.|s3:\/\/[^/])/i.test(args.location)) {
    throw new Error(`--lake-location ${JSON.stringify(args.location)}: expected file://DIR or s3://BUCKET/PREFIX/`);
  }
  return { location: args.location, format: args.format as LakeFormat, namespace: args.namespace, icebergCatalog: args.icebergCatalog, catchUpIntervalMs };
}

/** Opens the lake and its writer; the schema layer is loaded now, since catch-up decodes from the log. */
export async function openLakeFeed(settings: LakeSettings, storage: Storage, schemas: BrokerSchemas): Promise<LakeFeed> {
  const [{ Lake }, { LakeFeed }, layer] = await Promise.all([import("../lake/lake.ts"), import("../broker/lake-feed.ts"), schemas.layer()]);
  let lake;
  try {
    lake = await Lake.open({
      location: settings.location,
      format: settings.format,
      namespace: settings.namespace,
      icebergCatalog: settings.icebergCatalog,
      onWarning: (message, error) => consola.warn(`lake: ${message}:`, error),
    });
  } catch (error) {
    throw new Error(`--lake-location ${settings.location}: ${(error as Error).message}`, { cause: error });
  }
  layer.validation.keepValues();
  return new LakeFeed({ storage, schemas: schemas.validation, lake, catchUpIntervalMs: settings.catchUpIntervalMs });
}
