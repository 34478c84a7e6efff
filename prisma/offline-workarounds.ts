/**
 * Workarounds that let Prisma 6.19.3 migrate fully offline with its JS (Wasm) schema engine and the pg driver
 * adapter. Loaded only by prisma.config.ts, i.e. only inside the Prisma CLI process, never by the service.
 * Each block names the upstream issue; delete it when upstream fixes it (and re-run `npm run migrate:check`).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';

/** A URL the CLI accepts when none is configured; `prisma generate` never connects. */
const PLACEHOLDER_DATABASE_URL = 'postgresql://placeholder:placeholder@127.0.0.1:1/placeholder';

/**
 * 5. `prisma generate` without DATABASE_URL falls back to downloading the Rust query engine.
 *    Giving the schema a placeholder URL keeps generate on the Rust-free client.
 */
export function ensureDatabaseUrlForCli(): void {
  // An empty value (a failed `$(npm run -s db:start)`) would also send the CLI to the download: say why instead.
  if (process.env.DATABASE_URL === '') {
    throw new Error('DATABASE_URL is set but empty: start the private cluster (`npm run db:start`) or point it at a database');
  }
  process.env.DATABASE_URL ??= PLACEHOLDER_DATABASE_URL;
}

/**
 * 1. Migrate fails with "Column type 'name' could not be deserialized" (then 'char') when the schema engine reads
 *    PostgreSQL catalogs: https://github.com/prisma/prisma/issues/27403
 *    Report catalog columns of type "char" (OID 18) and name (OID 19) as text (OID 25) before rows are parsed.
 */
function reportCatalogTypesAsText(): void {
  const resultPrototype = (pg as unknown as { Result: { prototype: { addFields(fields: { dataTypeID: number }[]): void } } })
    .Result.prototype;
  const addFields = resultPrototype.addFields;
  resultPrototype.addFields = function (fields) {
    for (const field of fields) {
      if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = 25;
    }
    return addFields.call(this, fields);
  };
}

/**
 * 2. The CLI lingers ~60 s after success: the Wasm engine glue leaves 10 s / 60 s timers alive
 *    (reproduced in 6.19.3; no upstream issue found yet). Long timers in this process must not keep it alive.
 */
function unrefLongTimers(): void {
  const originalSetTimeout = globalThis.setTimeout;
  const patched = ((handler: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const timer = originalSetTimeout(handler, delay, ...args);
    if ((delay ?? 0) >= 10_000) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, originalSetTimeout);
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * 3. The adapter's executeScript splits SQL on ';', which breaks $$ function bodies and makes a migration
 *    non-atomic (see executeScript in @prisma/adapter-pg; no upstream issue found yet). Send the whole script as one simple-protocol
 *    query instead: PostgreSQL runs it as one implicit transaction, so a failing migration leaves nothing behind.
 */
function runScriptsWhole(adapter: Adapter, pool: pg.Pool): Adapter {
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  return adapter;
}

/**
 * 4. The shadow database: with a connectionString, connectToShadowDb points at the main database; with discrete
 *    fields its DROP DATABASE runs while its pool is still open (see connectToShadowDb in @prisma/adapter-pg).
 *    Create prisma_shadow_<uuid>, and on dispose close its pool first, then drop it.
 */
class OfflineMigrationAdapter extends PrismaPg {
  constructor(private readonly connectionString: string) {
    super({ connectionString, allowExitOnIdle: true });
  }

  override async connect(): Promise<Adapter> {
    return this.connectTo(this.connectionString);
  }

  override async connectToShadowDb(): Promise<Adapter> {
    const database = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    const admin = new pg.Client({ connectionString: this.connectionString });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();

    const shadowUrl = new URL(this.connectionString);
    shadowUrl.pathname = `/${database}`;
    const shadow = await this.connectTo(shadowUrl.toString());
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      const dropper = new pg.Client({ connectionString: this.connectionString });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${database}"`);
      await dropper.end();
    };
    return shadow;
  }

  private async connectTo(connectionString: string): Promise<Adapter> {
    const pool = new pg.Pool({ connectionString, allowExitOnIdle: true });
    const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
    return runScriptsWhole(adapter, pool);
  }
}

export function offlineMigrationAdapter(): OfflineMigrationAdapter {
  reportCatalogTypesAsText();
  unrefLongTimers();
  return new OfflineMigrationAdapter(process.env.DATABASE_URL ?? PLACEHOLDER_DATABASE_URL);
}
